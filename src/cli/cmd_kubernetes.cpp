// SPDX-License-Identifier: LGPL-2.1-or-later
// kci kubernetes manifests: a Kubernetes Job manifest
// (orchestrator/kubernetes_manifest.h) for every kbuild node of `kci run`
// waiting to be built, written to a folder for `kubectl apply -f`. Not yet
// run against a cluster (checked with kubectl apply --dry-run=client).
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/command.h"
#include "orchestrator/kubernetes_manifest.h"
#include "orchestrator/node_store.h"
#include "store/sql.h"
#include "store/store.h"
#include "util/error.h"
#include "util/file.h"

namespace kci::cli {
namespace {

using namespace kci::orchestrator;

struct KubernetesCmdOptions {
  std::string database;
  std::string out_dir;
  KubernetesOptions manifest;
};

void add_kubernetes(CLI::App& root, RunContext& ctx) {
  auto o = std::make_shared<KubernetesCmdOptions>();
  auto* k8s = root.add_subcommand("kubernetes", "Kubernetes Jobs for kci run's builds");
  k8s->require_subcommand(1);
  auto* cmd = k8s->add_subcommand(
      "manifests",
      "Write a Job manifest per kbuild node waiting to be built (state available), for\n"
      "kubectl apply -f DIR; the Jobs send their results to kci serve");
  cmd->add_option("-d,--db,--database", o->database,
                  "Database of kci run (default: $KCI_DATABASE)");
  cmd->add_option("-o,--out", o->out_dir, "Folder the manifests are written to")->required();
  cmd->add_option("--image", o->manifest.image, "Container image with git, kci and toolchains")
      ->capture_default_str();
  cmd->add_option("--namespace", o->manifest.namespace_name, "Namespace of the Jobs");
  cmd->add_option("--secret", o->manifest.submit_secret,
                  "Secret whose key `url` is the submission URL https://TOKEN@HOST of kci serve")
      ->capture_default_str();
  cmd->add_option("--origin", o->manifest.origin, "KCIDB origin of the results")
      ->capture_default_str();
  cmd->add_option("--cpu", o->manifest.cpu, "CPU request and limit")->capture_default_str();
  cmd->add_option("--memory", o->manifest.memory, "Memory request and limit")
      ->capture_default_str();
  cmd->callback([o, &ctx] {
    std::string db = o->database;
    if (db.empty()) {
      const char* env = std::getenv(store::kDatabaseEnv);
      if (!env || !*env) throw UsageError("kci kubernetes manifests: give --db");
      db = env;
    }
    store::DatabaseSpec spec = store::parse_database_spec(
        db.rfind("sqlite:", 0) == 0 || db.rfind("postgresql:", 0) == 0 ? db : "sqlite:" + db);
    auto sql = store::SqlConnection::open(spec);
    if (sql->component_version("orchestrator") == 0) {
      throw InvalidInputError("no kci run nodes in " + sql->describe());
    }
    NodeStore nodes(*sql);
    std::filesystem::create_directories(o->out_dir);
    int written = 0, skipped = 0;
    for (const Node& n : nodes.list(NodeState::kAvailable, NodeKind::kKbuild)) {
      std::string text;
      try {
        text = kubernetes_kbuild_job(n, o->manifest);
      } catch (const InvalidInputError& e) {
        std::fprintf(stderr, "kci kubernetes: skipped: %s\n", e.what());
        ++skipped;
        continue;
      }
      std::filesystem::path path =
          std::filesystem::path(o->out_dir) / (kubernetes_job_name(n) + ".yaml");
      write_file_atomic(path.string(), text);
      std::printf("%s\n", path.string().c_str());
      ++written;
    }
    std::fprintf(stderr, "kci kubernetes: %d manifests written, %d nodes skipped\n", written,
                 skipped);
    if (skipped > 0) ctx.exit_status = kExitInvalidInput;
  });
}

}  // namespace

KCI_COMMAND(47, add_kubernetes);

}  // namespace kci::cli
