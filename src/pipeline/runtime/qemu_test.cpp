// SPDX-License-Identifier: LGPL-2.1-or-later
// The QEMU runtime's logic with a ScriptedRunner instead of QEMU: the
// command line, the stop on a panic, the timeout, a missing or failing
// emulator, and the whole run behind the Runtime seam. The real boots are
// in tests/runtime.
#include "pipeline/runtime/qemu.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "util/file.h"
#include "util/scripted_runner.h"

namespace kci::pipeline {
namespace {

namespace fs = std::filesystem;

const QemuPlatform& x86() { return *find_qemu_platform("qemu-x86_64"); }

std::string panic_console() {
  return read_file(std::string(KCI_SOURCE_DIR) + "/tests/runtime/fixtures/console/x86-panic.log");
}

std::map<std::string, std::string> statuses(const std::vector<TestOutcome>& outcomes) {
  std::map<std::string, std::string> out;
  for (const auto& t : outcomes) out[t.path] = std::string(report::status_name(t.status));
  return out;
}

TEST(QemuBoot, RunsTheCommandLineWithTheTimeout) {
  ScriptedRunner runner;
  runner.reply("qemu-system-x86_64", {.out = "KCI-INIT: plan=baseline\nKCI-LOGIN: ok\nKCI-DONE\n"});
  QemuBoot boot = boot_qemu(x86(), "/a/bzImage", "/a/initrd.cpio.gz", 30, false, runner);
  ASSERT_EQ(runner.calls().size(), 1u);
  EXPECT_EQ(runner.calls()[0].argv, qemu_command(x86(), "/a/bzImage", "/a/initrd.cpio.gz"));
  EXPECT_EQ(runner.calls()[0].timeout, std::chrono::milliseconds(30000));
  EXPECT_TRUE(boot.outcome.started);
  EXPECT_FALSE(boot.outcome.timed_out);
  EXPECT_NE(boot.console.find("KCI-DONE"), std::string::npos);
}

TEST(QemuBoot, StopsTheGuestOnceAPanicIsPrinted) {
  ScriptedRunner runner;
  // After the panic the guest would print on (here: forever, until the timeout).
  runner.reply("qemu-system-x86_64",
               {.timed_out = true, .out = panic_console() + "[  100.0] still running\n"});
  QemuBoot boot = boot_qemu(x86(), "k", "i", 300, false, runner);
  EXPECT_TRUE(boot.outcome.stopped_on_panic);
  EXPECT_FALSE(boot.outcome.timed_out);
  EXPECT_EQ(boot.outcome.exit_code, 0);
  EXPECT_EQ(boot.console.find("still running"), std::string::npos);
  auto s = statuses(evaluate_plan("baseline", boot.console, boot.outcome));
  EXPECT_EQ(s["baseline.login"], "FAIL");
  EXPECT_EQ(s["baseline.dmesg.emerg"], "MISS");
}

TEST(QemuBoot, TimeoutIsAnErrorNotAFailure) {
  ScriptedRunner runner;
  runner.reply("qemu-system-x86_64",
               {.timed_out = true, .out = "[ 0.5] Run /init as init process\n"});
  QemuBoot boot = boot_qemu(x86(), "k", "i", 20, false, runner);
  EXPECT_TRUE(boot.outcome.timed_out);
  EXPECT_FALSE(boot.outcome.stopped_on_panic);
  EXPECT_TRUE(boot.outcome.started);
  auto s = statuses(evaluate_plan("baseline", boot.console, boot.outcome));
  EXPECT_EQ(s["baseline.login"], "ERROR");
  EXPECT_EQ(s["baseline.dmesg.crit"], "MISS");
}

TEST(QemuBoot, MissingEmulatorMissesEverything) {
  ScriptedRunner runner;
  runner.missing("qemu-system-x86_64");
  QemuBoot boot = boot_qemu(x86(), "k", "i", 20, false, runner);
  EXPECT_FALSE(boot.outcome.started);
  EXPECT_EQ(boot.outcome.infrastructure_error, "qemu-system-x86_64 is not installed");
  EXPECT_TRUE(runner.calls().empty());
  for (const auto& t : evaluate_plan("baseline", boot.console, boot.outcome)) {
    EXPECT_EQ(t.status, Status::kMiss) << t.path;
  }
}

TEST(QemuBoot, EmulatorFailingWithoutOutputDidNotStart) {
  ScriptedRunner runner;
  runner.reply("qemu-system-x86_64", {.exit_code = 1});
  QemuBoot boot = boot_qemu(x86(), "k", "i", 20, false, runner);
  EXPECT_FALSE(boot.outcome.started);
  EXPECT_EQ(boot.outcome.infrastructure_error, "qemu-system-x86_64 failed (exit status 1)");
}

class QemuRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("kci-qemu-runtime-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "artifacts");
    write_file_atomic((dir_ / "artifacts" / "bzImage").string(), "image");
    write_file_atomic((dir_ / "artifacts" / "bmeta.json").string(),
                      R"({"kernel_image": "bzImage", "build_id": "kci:kbuild-1"})");
    write_file_atomic((dir_ / "initrd.cpio.gz").string(), "initrd");
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(QemuRuntimeTest, RunsAJobBehindTheRuntimeSeam) {
  ScriptedRunner runner;
  runner.reply("qemu-system-x86_64", {.out = "[ 0.5] Run /init as init process\n"
                                             "KCI-INIT: plan=baseline kernel=6.1 arch=x86_64\n"
                                             "KCI-LOGIN: ok\n"
                                             "KCI-CASE: dmesg.emerg pass 0 lines\n"
                                             "KCI-CASE: dmesg.alert pass 0 lines\n"
                                             "KCI-CASE: dmesg.crit pass 0 lines\n"
                                             "KCI-DONE\n"});
  QemuRuntime qemu({.initrd = (dir_ / "initrd.cpio.gz").string()}, runner);
  Runtime& runtime = qemu;
  RuntimeJob job;
  job.artifact_dir = (dir_ / "artifacts").string();
  job.timeout_seconds = 60;
  RuntimeRun run = runtime.run(job);
  EXPECT_EQ(runtime.name(), "qemu");
  EXPECT_TRUE(run.finished);
  auto s = statuses(run.outcomes);
  EXPECT_EQ(s["baseline.login"], "PASS");
  EXPECT_EQ(s["baseline.dmesg.crit"], "PASS");
  ASSERT_EQ(runner.calls().size(), 1u);
  const auto& argv = runner.calls()[0].argv;
  EXPECT_EQ(argv, qemu_command(x86(), fs::absolute(dir_ / "artifacts" / "bzImage").string(),
                               (dir_ / "initrd.cpio.gz").string()));
  ASSERT_EQ(run.report.tests.size(), run.outcomes.size());
  ASSERT_FALSE(run.report.tests.empty());
  EXPECT_EQ(run.report.tests[0].build_id, "kci:kbuild-1");
  // The console log and its HTML are stored beside the artifacts.
  EXPECT_TRUE(fs::exists(dir_ / "artifacts" / "test-baseline-qemu-x86_64.log"));
  EXPECT_TRUE(fs::exists(dir_ / "artifacts" / "test-baseline-qemu-x86_64.html"));
}

TEST_F(QemuRuntimeTest, UnknownPlatformIsBadInput) {
  ScriptedRunner runner;
  QemuRuntime qemu({.initrd = (dir_ / "initrd.cpio.gz").string()}, runner);
  RuntimeJob job;
  job.artifact_dir = (dir_ / "artifacts").string();
  job.platform = "qemu-m68k";
  EXPECT_THROW(qemu.run(job), InvalidInputError);
  EXPECT_TRUE(runner.calls().empty());
}

}  // namespace
}  // namespace kci::pipeline
