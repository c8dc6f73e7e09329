// SPDX-License-Identifier: LGPL-2.1-or-later
// run_kbuild's logic with a ScriptedRunner instead of make, git and the
// compiler: the commands it runs, in order and with their environment, and
// its PASS / FAIL / ERROR verdicts and published files for each way a build
// can end. The real builds are in tests/kernel.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "pipeline/build/kbuild.h"
#include "util/file.h"
#include "util/scripted_runner.h"

namespace kci::pipeline {
namespace {

namespace fs = std::filesystem;

const char* kCompileError =
    "  CC      init/main.o\n"
    "/src/init/main.c:1650:16: error: 'x' undeclared (first use in this function)\n"
    "make[3]: *** [/src/scripts/Makefile.build:250: init/main.o] Error 1\n"
    "make: *** [Makefile:231: __sub-make] Error 2\n";

class KbuildRunner : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("kci-kbuild-runner-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "src");
    write_file_atomic((root_ / "src" / "Makefile").string(), "# a kernel tree, for run_kbuild\n");
    request_.source_dir = (root_ / "src").string();
    request_.arch = "x86_64";
    request_.toolchain = "gcc-12";
    request_.config = "tinyconfig+CONFIG_KUNIT=y";
    request_.artifacts_dir = (root_ / "store").string();
    request_.build_dir = (root_ / "build").string();
    request_.tree = "mainline";
    request_.branch = "master";
    request_.jobs = 2;
    request_.runner = &runner_;
    // Not a git tree: every git question fails.
    runner_.reply("git", {.exit_code = 128, .err = "fatal: not a git repository\n"});
    runner_.reply("gcc-12", {"--version"}, {.out = "gcc-12 (Debian 12.2.0-14) 12.2.0\n"});
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path build() const { return root_ / "build"; }

  // make DEFCONFIG and merge_config.sh and olddefconfig succeed and leave a .config.
  void configure_ok() {
    auto write_config = [this](const auto&, const auto&) {
      write_file_atomic((build() / ".config").string(), "CONFIG_64BIT=y\nCONFIG_KUNIT=y\n");
    };
    runner_.reply("make", {"tinyconfig"}, {.effect = write_config});
    runner_.reply("merge_config.sh", {.effect = write_config});
    runner_.reply("make", {"olddefconfig"}, {});
  }
  // make bzImage succeeds and leaves the image, System.map and vmlinux.
  void kernel_ok() {
    runner_.reply("make", {"bzImage"},
                  {.out = "  CC      init/main.o\n  Kernel: arch/x86/boot/bzImage is ready\n",
                   .effect = [this](const auto&, const auto&) {
                     fs::create_directories(build() / "arch/x86/boot");
                     write_file_atomic((build() / "arch/x86/boot/bzImage").string(), "image");
                     write_file_atomic((build() / "System.map").string(),
                                       "ffffffff81000000 T _text\n");
                     write_file_atomic((build() / "vmlinux").string(), "elf");
                   }});
    runner_.reply("x86_64-linux-gnu-size",
                  {.out = "   text    data     bss     dec     hex filename\n"
                          "  100      20      30     150      96 vmlinux\n"});
    runner_.reply("size", {.out = "   text    data     bss     dec     hex filename\n"
                                  "  100      20      30     150      96 vmlinux\n"});
  }

  std::string published(const std::string& name) const {
    return read_file((root_ / "store" / result_.publish_path / name).string());
  }

  fs::path root_;
  ScriptedRunner runner_;
  BuildRequest request_;
  BuildResult result_;
};

TEST_F(KbuildRunner, PassRunsTheStepsInOrderAndPublishes) {
  configure_ok();
  kernel_ok();
  result_ = run_kbuild(request_);
  EXPECT_EQ(result_.status, BuildStatus::kPass) << result_.reason;
  EXPECT_TRUE(runner_.unmatched().empty());

  auto makes = runner_.calls_of("make");
  ASSERT_EQ(makes.size(), 3u);
  std::string o = "O=" + build().string();
  // The make variables of x86_64 with gcc-12 on an x86_64 host (toolchain_setup).
  EXPECT_EQ(makes[0].argv,
            (std::vector<std::string>{"make", o, "ARCH=x86_64", "CC=gcc-12", "tinyconfig"}));
  EXPECT_EQ(makes[1].argv.back(), "olddefconfig");
  EXPECT_EQ(makes[2].argv,
            (std::vector<std::string>{"make", o, "-j2", "ARCH=x86_64", "CC=gcc-12", "bzImage"}));
  // Every make runs in the source tree, in the C locale, with a fixed user and host.
  for (const auto& call : makes) {
    EXPECT_EQ(call.cwd, request_.source_dir);
    EXPECT_EQ(call.env.at("LC_ALL"), "C");
    EXPECT_EQ(call.env.at("KBUILD_BUILD_USER"), "KernelCI");
    EXPECT_EQ(call.env.at("KBUILD_BUILD_HOST"), "kci");
  }
  auto merges = runner_.calls_of("merge_config.sh");
  ASSERT_EQ(merges.size(), 1u);
  EXPECT_EQ(read_file((build() / "kernelci.config").string()),
            "# CONFIG_KUNIT=y (inline)\nCONFIG_KUNIT=y\n");

  EXPECT_EQ(published("bzImage"), "image");
  EXPECT_EQ(published("kernel.config"), "CONFIG_64BIT=y\nCONFIG_KUNIT=y\n");
  EXPECT_NE(published("bmeta.json").find("\"status\": \"PASS\""), std::string::npos);
  EXPECT_NE(published("build.log").find("# kci build: kernel: make"), std::string::npos);
  ASSERT_TRUE(result_.compiler);
  EXPECT_EQ(result_.compiler->version, "12.2.0");
  ASSERT_TRUE(result_.meta.vmlinux_sizes);
  EXPECT_TRUE(result_.log_excerpt.empty());
}

// Not a git tree: no commit date, so no timestamp; make's own counter.
TEST_F(KbuildRunner, DefaultBuildIdentityLeavesVersionAndTimestampToMake) {
  configure_ok();
  kernel_ok();
  result_ = run_kbuild(request_);
  EXPECT_EQ(result_.status, BuildStatus::kPass) << result_.reason;
  for (const auto& call : runner_.calls_of("make")) {
    EXPECT_EQ(call.env.count("KBUILD_BUILD_VERSION"), 0u);
    EXPECT_EQ(call.env.count("KBUILD_BUILD_TIMESTAMP"), 0u);
  }
}

// Bisection's builds: a fixed version and timestamp in every make, and in
// the reproducer, so the image depends on the source only.
TEST_F(KbuildRunner, FixedBuildIdentityIsInEveryMakeAndTheReproducer) {
  request_.build_timestamp = "Thu Jan  1 00:00:00 UTC 1970";
  request_.build_version = "1";
  configure_ok();
  kernel_ok();
  result_ = run_kbuild(request_);
  EXPECT_EQ(result_.status, BuildStatus::kPass) << result_.reason;
  auto makes = runner_.calls_of("make");
  ASSERT_EQ(makes.size(), 3u);
  for (const auto& call : makes) {
    EXPECT_EQ(call.env.at("KBUILD_BUILD_VERSION"), "1");
    EXPECT_EQ(call.env.at("KBUILD_BUILD_TIMESTAMP"), "Thu Jan  1 00:00:00 UTC 1970");
    EXPECT_EQ(call.env.at("KBUILD_BUILD_USER"), "KernelCI");
  }
  std::string repro = published("reproducer.sh");
  EXPECT_NE(repro.find("KBUILD_BUILD_VERSION"), std::string::npos) << repro;
  EXPECT_NE(repro.find("1970"), std::string::npos) << repro;
}

// Bisection's steps after the first: the build directory's .config is
// kept, so only the kernel step runs; without a .config the config runs.
TEST_F(KbuildRunner, ReuseConfigSkipsTheConfigStepsOnlyWithAConfig) {
  request_.reuse_config = BuildRequest::ConfigReuse::kExisting;
  configure_ok();
  kernel_ok();
  result_ = run_kbuild(request_);
  EXPECT_EQ(result_.status, BuildStatus::kPass) << result_.reason;
  EXPECT_EQ(runner_.calls_of("make").size(), 3u) << "no .config yet: the config must run";

  ScriptedRunner second;
  second.reply("git", {.exit_code = 128, .err = "fatal: not a git repository\n"});
  second.reply("gcc-12", {"--version"}, {.out = "gcc-12 (Debian 12.2.0-14) 12.2.0\n"});
  second.reply("make", {"bzImage"}, {.out = "  Kernel: arch/x86/boot/bzImage is ready\n"});
  second.reply("x86_64-linux-gnu-size", {.out = "   text    data     bss     dec     hex filename\n"
                                                "  100      20      30     150      96 vmlinux\n"});
  for (const char* size : {"x86_64-linux-gnu-size", "size"}) {
    second.reply(size, {.out = "   text    data     bss     dec     hex filename\n"
                               "  100      20      30     150      96 vmlinux\n"});
  }
  request_.runner = &second;
  result_ = run_kbuild(request_);
  EXPECT_EQ(result_.status, BuildStatus::kPass) << result_.reason;
  auto makes = second.calls_of("make");
  ASSERT_EQ(makes.size(), 1u);
  EXPECT_EQ(makes[0].argv.back(), "bzImage");
  EXPECT_TRUE(second.calls_of("merge_config.sh").empty());
  EXPECT_EQ(published("kernel.config"), "CONFIG_64BIT=y\nCONFIG_KUNIT=y\n");
  EXPECT_NE(published("build.log").find(".config is reused"), std::string::npos);
}

// kci run's --incremental-builds and bisection: the .config is kept only
// when the directory's stamp says it was made from the same request at a
// commit that differs in nothing the configuration depends on.
TEST_F(KbuildRunner, ConfigStampSkipsTheConfigStepsWhileNothingConfigChanged) {
  request_.reuse_config = BuildRequest::ConfigReuse::kWhenUnchanged;
  const std::string c1(40, '1'), c2(40, '2'), c3(40, '3');
  auto git_at = [](ScriptedRunner& r, const std::string& head) {
    r.reply("git", {"rev-parse", "HEAD^{commit}"}, {.out = head + "\n"});
    r.reply(
        "git", {"diff", "--name-only"},
        {.out = head == std::string(40, '3') ? "init/main.c\ninit/Kconfig\n" : "init/main.c\n"});
    r.reply("git", {.out = "\n"});
    r.reply("gcc-12", {"--version"}, {.out = "gcc-12 (Debian 12.2.0-14) 12.2.0\n"});
  };
  // c1: no stamp yet, the config runs and the stamp is written.
  runner_ = ScriptedRunner();
  git_at(runner_, c1);
  configure_ok();
  kernel_ok();
  result_ = run_kbuild(request_);
  ASSERT_EQ(result_.status, BuildStatus::kPass) << result_.reason;
  EXPECT_FALSE(result_.config_reused);
  EXPECT_EQ(runner_.calls_of("make").size(), 3u);
  EXPECT_TRUE(fs::exists(build() / ".kci-config-stamp"));

  // c2 changes init/main.c only: the kernel step alone.
  ScriptedRunner second;
  git_at(second, c2);
  second.reply("make", {"bzImage"}, {.out = "  Kernel: arch/x86/boot/bzImage is ready\n"});
  for (const char* size : {"x86_64-linux-gnu-size", "size"}) {
    second.reply(size, {.out = "   text    data     bss     dec     hex filename\n"
                               "  100      20      30     150      96 vmlinux\n"});
  }
  request_.runner = &second;
  result_ = run_kbuild(request_);
  ASSERT_EQ(result_.status, BuildStatus::kPass) << result_.reason;
  EXPECT_TRUE(result_.config_reused);
  ASSERT_EQ(second.calls_of("make").size(), 1u);
  EXPECT_EQ(second.calls_of("make")[0].argv.back(), "bzImage");
  bool diffed = false;
  for (const auto& call : second.calls_of("git")) {
    if (std::find(call.argv.begin(), call.argv.end(), "diff") != call.argv.end()) {
      diffed = call.argv.end()[-2] == c1 && call.argv.back() == c2;
    }
  }
  EXPECT_TRUE(diffed) << "the stamp's commit (c1) is compared with the one built";

  // c3 touches init/Kconfig: the config runs again.
  runner_ = ScriptedRunner();
  git_at(runner_, c3);
  configure_ok();
  kernel_ok();
  request_.runner = &runner_;
  result_ = run_kbuild(request_);
  ASSERT_EQ(result_.status, BuildStatus::kPass) << result_.reason;
  EXPECT_FALSE(result_.config_reused);
  EXPECT_EQ(runner_.calls_of("make").size(), 3u);

  // Another request (a different fragment) in the same directory: its own config.
  runner_ = ScriptedRunner();
  git_at(runner_, c3);
  configure_ok();
  kernel_ok();
  request_.config = "tinyconfig+CONFIG_KUNIT=n";
  result_ = run_kbuild(request_);
  ASSERT_EQ(result_.status, BuildStatus::kPass) << result_.reason;
  EXPECT_FALSE(result_.config_reused);
}

TEST_F(KbuildRunner, CompileErrorIsFail) {
  configure_ok();
  runner_.reply("make", {"bzImage"}, {.exit_code = 2, .out = kCompileError});
  result_ = run_kbuild(request_);
  EXPECT_EQ(result_.status, BuildStatus::kFail);
  EXPECT_EQ(result_.reason,
            "kernel step: /src/init/main.c:1650:16: error: 'x' undeclared (first use in this "
            "function)");
  EXPECT_NE(result_.log_excerpt.find("error: 'x' undeclared"), std::string::npos);
  // The config and the log are published for a failed build, the image is not.
  EXPECT_NE(published("bmeta.json").find("\"status\": \"FAIL\""), std::string::npos);
  EXPECT_FALSE(fs::exists(root_ / "store" / result_.publish_path / "bzImage"));
  EXPECT_TRUE(runner_.unmatched().empty());
}

TEST_F(KbuildRunner, TimeoutIsError) {
  configure_ok();
  runner_.reply("make", {"bzImage"}, {.timed_out = true, .out = "  CC      init/main.o\n"});
  result_ = run_kbuild(request_);
  EXPECT_EQ(result_.status, BuildStatus::kError);
  EXPECT_EQ(result_.reason, "kernel step: timed out");
}

TEST_F(KbuildRunner, KilledIsError) {
  configure_ok();
  runner_.reply("make", {"bzImage"}, {.signal = 9, .out = "  CC      init/main.o\n"});
  result_ = run_kbuild(request_);
  EXPECT_EQ(result_.status, BuildStatus::kError);
  EXPECT_EQ(result_.reason, "kernel step: killed");
}

TEST_F(KbuildRunner, DiskFullIsErrorEvenWithCompilerErrors) {
  configure_ok();
  runner_.reply("make", {"bzImage"},
                {.exit_code = 2,
                 .out = "/src/init/main.c:1:1: fatal error: cannot write: No space left on device\n"
                        "make: *** [Makefile:231: __sub-make] Error 2\n"});
  result_ = run_kbuild(request_);
  EXPECT_EQ(result_.status, BuildStatus::kError);
  EXPECT_NE(result_.reason.find("No space left on device"), std::string::npos) << result_.reason;
}

TEST_F(KbuildRunner, UnknownDefconfigIsErrorAndStopsEarly) {
  runner_.reply(
      "make", {"tinyconfig"},
      {.exit_code = 2, .out = "make[2]: *** No rule to make target 'tinyconfig'.  Stop.\n"});
  result_ = run_kbuild(request_);
  EXPECT_EQ(result_.status, BuildStatus::kError);
  EXPECT_EQ(runner_.calls_of("make").size(), 1u);
  EXPECT_TRUE(runner_.calls_of("merge_config.sh").empty());
}

TEST_F(KbuildRunner, MissingCompilerIsErrorWithoutRunningMake) {
  runner_.missing("gcc-12");
  result_ = run_kbuild(request_);
  EXPECT_EQ(result_.status, BuildStatus::kError);
  EXPECT_EQ(result_.reason,
            "toolchain gcc-12 for x86_64 is not installed: 'gcc-12' not found in PATH");
  EXPECT_TRUE(runner_.calls_of("make").empty());
  EXPECT_NE(published("bmeta.json").find("\"status\": \"ERROR\""), std::string::npos);
}

TEST_F(KbuildRunner, MakeThatCannotStartIsError) {
  configure_ok();
  runner_.reply("make", {"bzImage"}, {.spawn_error = true});
  result_ = run_kbuild(request_);
  EXPECT_EQ(result_.status, BuildStatus::kError);
  EXPECT_EQ(result_.reason, "kernel step: cannot run make");
}

}  // namespace
}  // namespace kci::pipeline
