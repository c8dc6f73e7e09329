// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/lava/lava_runtime.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "util/error.h"
#include "util/file.h"

namespace kci::pipeline {
namespace {

namespace fs = std::filesystem;

class LavaRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kci-lava-runtime-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write_file_atomic((dir_ / "bmeta.json").string(),
                      R"({"kernel_image": "bzImage", "build_id": "kci:kbuild-7"})");
    job_.artifact_dir = dir_.string();
    job_.artifact_url = "https://storage.example.org/builds/7/";
    job_.timeout_seconds = 150;
    options_.server = {"https://lava.example.org", "secret", 10};
    options_.ramdisk_url = "https://storage.example.org/rootfs/baseline.cpio.gz";
    options_.callback_url = "https://kci.example.org/api/lava/callback";
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  RuntimeJob job_;
  LavaRuntime::Options options_;
};

TEST_F(LavaRuntimeTest, SubmitsTheJobDefinitionAndIsNotFinished) {
  std::vector<std::string> submitted;
  LavaRuntime lava(options_, [&](const LavaServer& server, const std::string& device_type,
                                 const std::string& definition) {
    EXPECT_EQ(server.url, "https://lava.example.org");
    EXPECT_EQ(device_type, "qemu");
    submitted.push_back(definition);
    LavaSubmission s;
    s.submitted = true;
    s.job_ids = {41, 42};
    return s;
  });
  Runtime& runtime = lava;
  RuntimeRun run = runtime.run(job_);
  EXPECT_EQ(runtime.name(), "lava");
  EXPECT_FALSE(run.finished);
  EXPECT_EQ(run.job_ids, (std::vector<std::string>{"41", "42"}));
  ASSERT_EQ(submitted.size(), 1u);
  EXPECT_EQ(submitted[0], lava.definition(job_));
  YAML::Node def = YAML::Load(submitted[0]);
  EXPECT_EQ(def["job_name"].as<std::string>(), "kci baseline on qemu-x86_64");
  EXPECT_EQ(def["metadata"]["kci.build_id"].as<std::string>(), "kci:kbuild-7");
  EXPECT_NE(submitted[0].find("https://storage.example.org/builds/7/bzImage"), std::string::npos);
  EXPECT_NE(submitted[0].find(options_.ramdisk_url), std::string::npos);
  EXPECT_NE(submitted[0].find(options_.callback_url), std::string::npos);
}

TEST_F(LavaRuntimeTest, ASkippedSubmissionSaysWhy) {
  LavaRuntime lava(options_, [](const LavaServer&, const std::string&, const std::string&) {
    LavaSubmission s;
    s.reason = "device type qemu: 30 jobs queued for 1 online devices";
    return s;
  });
  RuntimeRun run = lava.run(job_);
  EXPECT_FALSE(run.finished);
  EXPECT_TRUE(run.job_ids.empty());
  EXPECT_EQ(run.reason, "device type qemu: 30 jobs queued for 1 online devices");
}

TEST_F(LavaRuntimeTest, BadJobsAreBadInputAndNotSubmitted) {
  int calls = 0;
  LavaRuntime lava(options_, [&](const LavaServer&, const std::string&, const std::string&) {
    ++calls;
    return LavaSubmission{};
  });
  RuntimeJob unknown = job_;
  unknown.platform = "qemu-m68k";
  EXPECT_THROW(lava.run(unknown), InvalidInputError);
  RuntimeJob no_meta = job_;
  no_meta.artifact_dir = (dir_ / "nowhere").string();
  no_meta.build_id = "kci:kbuild-7";
  EXPECT_THROW(lava.run(no_meta), InvalidInputError);
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace kci::pipeline
