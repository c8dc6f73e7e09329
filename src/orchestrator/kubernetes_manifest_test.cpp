// SPDX-License-Identifier: LGPL-2.1-or-later
// The Kubernetes Job of a kbuild node: the golden manifest
// (testdata/kbuild-job.expected.yaml, scripts/update-golden.sh), names
// valid for Kubernetes, node values kept out of the shell script.
#include "orchestrator/kubernetes_manifest.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "util/error.h"
#include "util/test_support.h"

namespace kci::orchestrator {
namespace {

Node kbuild_node() {
  Node n;
  n.id = 12;
  n.kind = NodeKind::kKbuild;
  n.parent = 3;
  n.name = "kbuild-gcc-12-arm64";
  n.state = NodeState::kAvailable;
  n.timeout_seconds = 10800;
  n.retries = 1;
  n.data = {{"tree", "mainline"},
            {"branch", "master"},
            {"commit", "0123456789abcdef0123456789abcdef01234567"},
            {"url", "https://git.example.org/mainline.git"},
            {"arch", "arm64"},
            {"toolchain", "gcc-12"},
            {"defconfig", "defconfig"},
            {"cross_compile", "aarch64-linux-gnu-"}};
  return n;
}

TEST(Golden, KubernetesKbuildJob) {
  KubernetesOptions o;
  o.namespace_name = "kci-builds";
  std::string text = kubernetes_kbuild_job(kbuild_node(), o);
  EXPECT_TRUE(kci::testing::check_golden(std::filesystem::path(KCI_SOURCE_DIR) / "src" /
                                             "orchestrator" / "testdata" /
                                             "kbuild-job.expected.yaml",
                                         text));
}

TEST(KubernetesManifest, NamesAndValuesAreSafe) {
  Node n = kbuild_node();
  n.name = "Kbuild_GCC 12/arm64+" + std::string(80, 'x');
  std::string name = kubernetes_job_name(n);
  EXPECT_LE(name.size(), 63u);
  EXPECT_EQ(name.rfind("kci-kbuild-12-kbuild-gcc-12-arm64-", 0), 0u) << name;
  for (char c : name) EXPECT_TRUE(std::islower(c) || std::isdigit(c) || c == '-') << name;

  // A commit crafted as shell text stays a value of an environment
  // variable; the script is the same for every node.
  n.data["commit"] = "$(reboot)\"; rm -rf /";
  YAML::Node job = YAML::Load(kubernetes_kbuild_job(n, {}));
  const YAML::Node& init = job["spec"]["template"]["spec"]["initContainers"][0];
  EXPECT_EQ(init["command"][2].as<std::string>().find("reboot"), std::string::npos);
  EXPECT_EQ(init["env"][1]["value"].as<std::string>(), "$(reboot)\"; rm -rf /");
  EXPECT_EQ(job["spec"]["backoffLimit"].as<int>(), 0);
  EXPECT_EQ(job["spec"]["template"]["metadata"]["labels"]["kci.dev/node"].as<std::string>(), "12");

  n.kind = NodeKind::kJob;
  EXPECT_THROW(kubernetes_kbuild_job(n, {}), InvalidInputError);
  n = kbuild_node();
  n.data.erase("url");
  EXPECT_THROW(kubernetes_kbuild_job(n, {}), InvalidInputError);
}

}  // namespace
}  // namespace kci::orchestrator
