// SPDX-License-Identifier: LGPL-2.1-or-later
#include "orchestrator/kubernetes_manifest.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <vector>

#include "util/error.h"

namespace kci::orchestrator {

namespace {

// Every scalar the manifest writes is quoted: a value like "no" or "012"
// stays a string.
void quoted(YAML::Emitter& e, const std::string& s) { e << YAML::DoubleQuoted << s; }

void labels(YAML::Emitter& e, const Node& node) {
  e << YAML::Key << "labels" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "app.kubernetes.io/managed-by" << YAML::Value;
  quoted(e, "kci");
  e << YAML::Key << "kci.dev/kind" << YAML::Value;
  quoted(e, std::string(kind_name(node.kind)));
  e << YAML::Key << "kci.dev/node" << YAML::Value;
  quoted(e, std::to_string(node.id));
  e << YAML::EndMap;
}

void env(YAML::Emitter& e, const std::string& name, const std::string& value) {
  e << YAML::BeginMap << YAML::Key << "name" << YAML::Value << name << YAML::Key << "value"
    << YAML::Value;
  quoted(e, value);
  e << YAML::EndMap;
}

void mount(YAML::Emitter& e, const std::string& name, const std::string& path) {
  e << YAML::BeginMap << YAML::Key << "name" << YAML::Value << name << YAML::Key << "mountPath"
    << YAML::Value << path << YAML::EndMap;
}

}  // namespace

std::string kubernetes_job_name(const Node& node) {
  std::string name = "kci-kbuild-" + std::to_string(node.id) + "-";
  for (char c : node.name) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    name += (std::isalnum(static_cast<unsigned char>(l)) && static_cast<unsigned char>(l) < 128)
                ? l
                : '-';
  }
  if (name.size() > 63) name.resize(63);
  while (!name.empty() && name.back() == '-') name.pop_back();
  return name;
}

std::string kubernetes_kbuild_job(const Node& node, const KubernetesOptions& o) {
  if (node.kind != NodeKind::kKbuild) {
    throw InvalidInputError("node " + std::to_string(node.id) + " is a " +
                            std::string(kind_name(node.kind)) +
                            " node: Kubernetes Jobs are made for kbuild nodes");
  }
  std::string url = node.get("url"), commit = node.get("commit");
  if (url.empty() || commit.empty()) {
    throw InvalidInputError("kbuild node " + std::to_string(node.id) +
                            " has no repository URL or commit to fetch");
  }
  std::vector<std::string> args = {"kci",         "build",
                                   "--source",    "/src",
                                   "--commit",    commit,
                                   "--git-url",   url,
                                   "--tree",      node.get("tree"),
                                   "--branch",    node.get("branch"),
                                   "--arch",      node.get("arch"),
                                   "--toolchain", node.get("toolchain"),
                                   "--config",    node.get("defconfig"),
                                   "--artifacts", "/artifacts",
                                   "--origin",    o.origin};
  if (!node.get("cross_compile").empty()) {
    args.push_back("--cross-compile");
    args.push_back(node.get("cross_compile"));
  }
  // Kubernetes expands $(KCIDB_REST) from the container's environment.
  args.push_back("--submit");
  args.push_back("$(KCIDB_REST)");

  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "apiVersion" << YAML::Value << "batch/v1";
  e << YAML::Key << "kind" << YAML::Value << "Job";
  e << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "name" << YAML::Value << kubernetes_job_name(node);
  if (!o.namespace_name.empty()) {
    e << YAML::Key << "namespace" << YAML::Value << o.namespace_name;
  }
  labels(e, node);
  e << YAML::Key << "annotations" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "kci.dev/node-name" << YAML::Value;
  quoted(e, node.name);
  e << YAML::Key << "kci.dev/attempt" << YAML::Value;
  quoted(e, std::to_string(node.retries));
  e << YAML::EndMap;
  e << YAML::EndMap;  // metadata

  e << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "backoffLimit" << YAML::Value << 0;
  e << YAML::Key << "activeDeadlineSeconds" << YAML::Value
    << (node.timeout_seconds > 0 ? node.timeout_seconds : 10800);
  e << YAML::Key << "ttlSecondsAfterFinished" << YAML::Value << o.ttl_seconds_after_finished;
  e << YAML::Key << "template" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  labels(e, node);
  e << YAML::EndMap;
  e << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "restartPolicy" << YAML::Value << "Never";
  e << YAML::Key << "volumes" << YAML::Value << YAML::BeginSeq;
  for (const char* v : {"src", "artifacts"}) {
    e << YAML::BeginMap << YAML::Key << "name" << YAML::Value << v << YAML::Key << "emptyDir"
      << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::EndMap << YAML::EndMap;
  }
  e << YAML::EndSeq;

  e << YAML::Key << "initContainers" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  e << YAML::Key << "name" << YAML::Value << "checkout";
  e << YAML::Key << "image" << YAML::Value << o.image;
  e << YAML::Key << "command" << YAML::Value << YAML::BeginSeq;
  for (const char* c :
       {"sh", "-c",
        "git init -q /src && git -C /src fetch -q --depth 1 \"$KCI_GIT_URL\" \"$KCI_COMMIT\" && "
        "git -C /src checkout -q FETCH_HEAD"}) {
    quoted(e, c);
  }
  e << YAML::EndSeq;
  e << YAML::Key << "env" << YAML::Value << YAML::BeginSeq;
  env(e, "KCI_GIT_URL", url);
  env(e, "KCI_COMMIT", commit);
  e << YAML::EndSeq;
  e << YAML::Key << "volumeMounts" << YAML::Value << YAML::BeginSeq;
  mount(e, "src", "/src");
  e << YAML::EndSeq;
  e << YAML::EndMap << YAML::EndSeq;  // initContainers

  e << YAML::Key << "containers" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  e << YAML::Key << "name" << YAML::Value << "kbuild";
  e << YAML::Key << "image" << YAML::Value << o.image;
  e << YAML::Key << "args" << YAML::Value << YAML::BeginSeq;
  for (const std::string& a : args) quoted(e, a);
  e << YAML::EndSeq;
  e << YAML::Key << "env" << YAML::Value << YAML::BeginSeq;
  e << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "KCIDB_REST";
  e << YAML::Key << "valueFrom" << YAML::Value << YAML::BeginMap << YAML::Key << "secretKeyRef"
    << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value << o.submit_secret
    << YAML::Key << "key" << YAML::Value << "url" << YAML::EndMap << YAML::EndMap;
  e << YAML::EndMap;
  e << YAML::EndSeq;
  e << YAML::Key << "resources" << YAML::Value << YAML::BeginMap;
  for (const char* kind : {"requests", "limits"}) {
    e << YAML::Key << kind << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "cpu" << YAML::Value;
    quoted(e, o.cpu);
    e << YAML::Key << "memory" << YAML::Value;
    quoted(e, o.memory);
    e << YAML::EndMap;
  }
  e << YAML::EndMap;
  e << YAML::Key << "volumeMounts" << YAML::Value << YAML::BeginSeq;
  mount(e, "src", "/src");
  mount(e, "artifacts", "/artifacts");
  e << YAML::EndSeq;
  e << YAML::EndMap << YAML::EndSeq;  // containers
  e << YAML::EndMap;                  // pod spec
  e << YAML::EndMap;                  // template
  e << YAML::EndMap;                  // spec
  e << YAML::EndMap;
  if (!e.good()) throw Error("cannot write the Kubernetes manifest: " + e.GetLastError());
  return std::string(e.c_str()) + "\n";
}

}  // namespace kci::orchestrator
