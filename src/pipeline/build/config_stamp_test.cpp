// SPDX-License-Identifier: LGPL-2.1-or-later
// Which changes force a new .config, and the stamp that carries a build
// directory's .config from one build to the next. run_kbuild's use of it:
// kbuild_runner_test.cpp (ConfigStamp*).
#include "pipeline/build/config_stamp.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "util/scripted_runner.h"

namespace kci::pipeline {
namespace {

namespace fs = std::filesystem;

TEST(ConfigStamp, WhatAffectsTheConfiguration) {
  EXPECT_TRUE(affects_config("init/Kconfig", "x86"));
  EXPECT_TRUE(affects_config("drivers/net/Kconfig.debug", "x86"));
  EXPECT_TRUE(affects_config("arch/x86/configs/tiny.config", "x86"));
  EXPECT_TRUE(affects_config("kernel/configs/tiny.config", "x86"));
  EXPECT_TRUE(affects_config("scripts/kconfig/conf.c", "x86"));
  EXPECT_TRUE(affects_config("Makefile", "x86"));
  EXPECT_TRUE(affects_config("arch/x86/Makefile", "x86"));
  EXPECT_FALSE(affects_config("arch/arm64/Makefile", "x86"));
  EXPECT_FALSE(affects_config("init/main.c", "x86"));
  EXPECT_FALSE(affects_config("Documentation/kci/note.txt", "x86"));
}

TEST(ConfigStamp, KeyNamesEverythingTheConfigIsMadeFrom) {
  std::string key = config_stamp_key("x86_64", "gcc-12", "tinyconfig", "CONFIG_A=y\n");
  EXPECT_EQ(key, config_stamp_key("x86_64", "gcc-12", "tinyconfig", "CONFIG_A=y\n"));
  EXPECT_NE(key, config_stamp_key("arm64", "gcc-12", "tinyconfig", "CONFIG_A=y\n"));
  EXPECT_NE(key, config_stamp_key("x86_64", "clang-14", "tinyconfig", "CONFIG_A=y\n"));
  EXPECT_NE(key, config_stamp_key("x86_64", "gcc-12", "defconfig", "CONFIG_A=y\n"));
  EXPECT_NE(key, config_stamp_key("x86_64", "gcc-12", "tinyconfig", "CONFIG_B=y\n"));
}

// The stamp vouches for the .config only while the key and the .config
// itself hold.
TEST(ConfigStamp, HoldsWhileConfigAndKeyDo) {
  fs::path dir = fs::temp_directory_path() / ("kci-config-stamp-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  EXPECT_EQ(read_config_stamp(dir.string(), "key"), "");
  // No .config: nothing to vouch for.
  write_config_stamp(dir.string(), "key", "c1");
  EXPECT_FALSE(fs::exists(dir / ".kci-config-stamp"));
  std::ofstream(dir / ".config") << "CONFIG_A=y\n";
  write_config_stamp(dir.string(), "key", "c1");
  EXPECT_EQ(read_config_stamp(dir.string(), "key"), "c1");
  EXPECT_EQ(read_config_stamp(dir.string(), "other key"), "");
  EXPECT_EQ(read_config_stamp(dir.string(), ""), "");
  // Another configuration written into the directory since.
  std::ofstream(dir / ".config") << "CONFIG_B=y\n";
  EXPECT_EQ(read_config_stamp(dir.string(), "key"), "");
  // A build whose config steps failed removes it.
  write_config_stamp(dir.string(), "key", "c2");
  EXPECT_EQ(read_config_stamp(dir.string(), "key"), "c2");
  write_config_stamp(dir.string(), "key", "");
  EXPECT_FALSE(fs::exists(dir / ".kci-config-stamp"));
  fs::remove_all(dir);
}

TEST(ConfigStamp, UnchangedBetweenCommitsAsksGit) {
  ScriptedRunner git;
  git.reply("git", {"diff", "--no-renames", "--name-only", "c1", "c2"},
            {.out = "init/main.c\nDocumentation/x.rst\n"});
  git.reply("git", {"diff", "--no-renames", "--name-only", "c1", "c3"},
            {.out = "init/main.c\ninit/Kconfig\n"});
  git.reply("git", {"diff", "--no-renames", "--name-only", "c1", "gone"},
            {.exit_code = 128, .err = "fatal: bad revision\n"});
  EXPECT_TRUE(config_unchanged_between("/src", "c1", "c1", "x86", git));
  EXPECT_TRUE(git.calls_of("git").empty()) << "the same commit needs no diff";
  EXPECT_TRUE(config_unchanged_between("/src", "c1", "c2", "x86", git));
  EXPECT_FALSE(config_unchanged_between("/src", "c1", "c3", "x86", git));
  EXPECT_FALSE(config_unchanged_between("/src", "c1", "gone", "x86", git));
  EXPECT_FALSE(config_unchanged_between("/src", "", "c2", "x86", git));
  ASSERT_EQ(git.calls_of("git").size(), 3u);
  EXPECT_EQ(git.calls_of("git")[0].argv[2], "/src");
}

}  // namespace
}  // namespace kci::pipeline
