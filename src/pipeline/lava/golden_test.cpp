// SPDX-License-Identifier: LGPL-2.1-or-later
// Golden files of the LAVA job definitions: each testdata/lava-job/
// <case>.request.yaml (a LavaJobRequest) must give <case>.job.yaml byte for
// byte. Regenerate with scripts/update-golden.sh and review the diff.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "pipeline/lava/lava.h"
#include "util/file.h"
#include "util/test_support.h"

namespace kci::pipeline {
namespace {

namespace fs = std::filesystem;

const fs::path kDir = fs::path(KCI_SOURCE_DIR) / "src/pipeline/lava/testdata/lava-job";

std::string text(const YAML::Node& n, const char* key, std::string fallback = "") {
  return n[key] ? n[key].as<std::string>() : fallback;
}

LavaJobRequest request_from(const fs::path& path) {
  YAML::Node in = YAML::LoadFile(path.string());
  std::vector<LavaPlatform> platforms =
      in["platforms_file"]
          ? load_lava_platforms(in["platforms_file"].as<std::string>(), path.string())
          : builtin_lava_platforms();
  LavaJobRequest r;
  std::string name = text(in, "platform");
  bool found = false;
  for (const auto& p : platforms) {
    if (p.name == name) {
      r.platform = p;
      found = true;
    }
  }
  EXPECT_TRUE(found) << path << ": unknown platform " << name;
  r.plan = text(in, "plan", r.plan);
  r.job_name = text(in, "job_name");
  r.kernel_url = text(in, "kernel_url");
  r.ramdisk_url = text(in, "ramdisk_url");
  r.dtb_url = text(in, "dtb_url");
  r.callback_url = text(in, "callback_url");
  r.callback_token = text(in, "callback_token", r.callback_token);
  r.priority = text(in, "priority", r.priority);
  if (in["timeout_minutes"]) r.timeout_minutes = in["timeout_minutes"].as<int>();
  if (in["metadata"]) {
    for (const auto& kv : in["metadata"]) {
      r.metadata[kv.first.as<std::string>()] = kv.second.as<std::string>();
    }
  }
  return r;
}

TEST(Golden, LavaJobDefinitions) {
  const std::string suffix = ".request.yaml";
  for (const fs::path& input : testing::golden_inputs(kDir, suffix)) {
    std::string name = input.filename().string();
    std::string stem = name.substr(0, name.size() - suffix.size());
    EXPECT_TRUE(
        testing::check_golden(kDir / (stem + ".job.yaml"), generate_lava_job(request_from(input))));
  }
}

}  // namespace
}  // namespace kci::pipeline
