// SPDX-License-Identifier: LGPL-2.1-or-later
// kci worker: a pull worker (orchestrator/pull_worker.h) that claims kbuild
// and job nodes from `kci serve` over HTTP, runs them on this machine and
// sends the outcomes back.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "cli/command.h"
#include "client/http_client.h"
#include "orchestrator/instant_executor.h"
#include "orchestrator/local_runtime.h"
#include "orchestrator/orchestrator.h"
#include "orchestrator/pull_worker.h"
#include "pipeline/build/artifacts.h"
#include "pipeline/config/config.h"
#include "util/error.h"
#include "util/file.h"

namespace kci::cli {
namespace {

using namespace kci::orchestrator;

std::atomic<bool> g_worker_stop{false};
extern "C" void on_worker_signal(int) { g_worker_stop = true; }

struct WorkerCmdOptions {
  std::string url;
  std::string token;
  std::string token_file;
  std::string name;
  std::string runtime = "local";
  std::string instant_script;
  int instant_delay_ms = 0;
  double poll = 1;
  bool until_idle = false;
  std::vector<std::string> config_files;
  std::string artifacts_dir;
  std::optional<std::string> artifact_url;
  std::string build_root = "kci-build";
  std::string rootfs_cache;
  int make_jobs = 0;
  bool ccache = false;
  std::string origin = "kci";
  bool quiet = false;
};

void add_worker(CLI::App& root, RunContext& ctx) {
  auto o = std::make_shared<WorkerCmdOptions>();
  auto* cmd = root.add_subcommand(
      "worker",
      "A pull worker: claim builds and boots of kci run from kci serve over HTTP, run them\n"
      "here, send the results back (a lab behind a firewall)");
  cmd->add_option("--url", o->url, "kci serve's URL, e.g. https://kci.example.org")->required();
  cmd->add_option("--token", o->token,
                  "A token of role worker (kci token add --role worker); visible to other "
                  "local users in the process list: prefer --token-file or $KCI_WORKER_TOKEN");
  cmd->add_option("--token-file", o->token_file, "File whose first line is the token");
  cmd->add_option("--name", o->name, "This worker's name (default: host-pid)");
  cmd->add_option("--runtime", o->runtime,
                  "local: kbuild and QEMU on this machine; instant: build and boot nothing "
                  "(tests)")
      ->check(CLI::IsMember({"local", "instant"}));
  cmd->add_option("--instant-script", o->instant_script,
                  "With --runtime instant: as kci run's --instant-script");
  cmd->add_option("--instant-delay", o->instant_delay_ms,
                  "With --runtime instant: milliseconds each node takes")
      ->check(CLI::Range(0, 3600000));
  cmd->add_option("--poll", o->poll, "Seconds between claims when there is no work")
      ->default_val(1)
      ->check(CLI::Range(0.01, 3600.0));
  cmd->add_flag("--until-idle", o->until_idle,
                "Stop when the server has nothing left to schedule or run (default: run "
                "until SIGINT/SIGTERM)");
  cmd->add_option("--config", o->config_files,
                  "Pipeline YAML, for the kernel config fragments of builds (local runtime)");
  cmd->add_option("--artifacts", o->artifacts_dir,
                  "Artifact store folder (default: $KCI_ARTIFACTS, else ./artifacts)");
  cmd->add_option("--artifact-url", o->artifact_url,
                  "Base URL the artifact store is published under");
  cmd->add_option("--build-root", o->build_root, "Build directories (default: ./kci-build)");
  cmd->add_option("--rootfs-cache", o->rootfs_cache, "Initramfs cache of the QEMU boots");
  cmd->add_option("-j,--jobs", o->make_jobs, "make jobs per build (default: cores)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--ccache", o->ccache, "Compile through ccache");
  cmd->add_option("--origin", o->origin, "KCIDB origin of the results (one of the token's)")
      ->default_val("kci");
  cmd->add_flag("-q,--quiet", o->quiet, "No progress on stderr");
  cmd->callback([o, &ctx] {
    std::string token = o->token;
    if (!o->token_file.empty()) {
      token = read_input_file(o->token_file);
      token = token.substr(0, token.find('\n'));
    }
    if (token.empty()) {
      if (const char* env = std::getenv("KCI_WORKER_TOKEN")) token = env;
    }
    if (token.empty())
      throw UsageError("kci worker: give --token, --token-file or $KCI_WORKER_TOKEN");
    client::RestTarget target = client::parse_rest_target(o->url);
    if ((!o->instant_script.empty() || o->instant_delay_ms > 0) && o->runtime != "instant") {
      throw UsageError("--instant-script and --instant-delay need --runtime instant");
    }
    PullWorkerOptions po;
    po.url = target.base_url;
    po.token = token;
    po.name = o->name;
    if (po.name.empty()) {
      char host[128] = {};
      gethostname(host, sizeof host - 1);
      po.name = std::string(host) + "-" + std::to_string(getpid());
    }
    po.poll = std::chrono::milliseconds(static_cast<long long>(o->poll * 1000));
    po.until_idle = o->until_idle;
    if (!o->quiet) {
      po.progress = [](const std::string& s) {
        std::fprintf(stderr, "kci worker: %s\n", s.c_str());
      };
    }

    std::unique_ptr<Executor> executor;
    std::optional<pipeline::PipelineConfig> config;
    if (o->runtime == "instant") {
      InstantScript script;
      if (!o->instant_script.empty()) {
        script = instant_script_from_text(read_input_file(o->instant_script), o->instant_script);
      }
      executor = std::make_unique<InstantExecutor>(std::move(script), o->origin,
                                                   std::chrono::milliseconds(o->instant_delay_ms));
    } else {
      if (!o->config_files.empty()) config = pipeline::load_pipeline_config(o->config_files);
      LocalExecutorOptions lo;
      lo.artifacts_dir =
          o->artifacts_dir.empty() ? pipeline::default_artifacts_dir() : o->artifacts_dir;
      lo.artifact_url = o->artifact_url;
      lo.build_root = std::filesystem::absolute(o->build_root).string();
      lo.make_jobs = o->make_jobs > 0
                         ? o->make_jobs
                         : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
      lo.ccache = o->ccache;
      lo.origin = o->origin;
      lo.rootfs_cache = o->rootfs_cache;
      if (config) {
        const pipeline::PipelineConfig* c = &*config;
        lo.fragments = [c](const std::string& name) -> std::optional<std::vector<std::string>> {
          if (!c->fragment(name)) return std::nullopt;
          return c->fragment_configs(name);
        };
      }
      executor = make_local_executor(std::move(lo));
    }

    std::signal(SIGINT, on_worker_signal);
    std::signal(SIGTERM, on_worker_signal);
    PullWorkerSummary s = run_pull_worker(*executor, po, &g_worker_stop);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    std::printf("kci worker: %lld nodes run, %lld outcomes refused (claims taken back)\n",
                static_cast<long long>(s.executed), static_cast<long long>(s.refused));
    (void)ctx;
  });
}

}  // namespace

KCI_COMMAND(46, add_worker);

}  // namespace kci::cli
