// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/results/console.h"

#include <gtest/gtest.h>

#include "util/file.h"

namespace kci::pipeline {
namespace {

std::string fixture(const std::string& name) {
  return read_file(std::string(KCI_SOURCE_DIR) + "/tests/runtime/fixtures/console/" + name);
}

TEST(Console, FindsWarningAndPanicWithTraces) {
  auto issues = find_kernel_issues(fixture("x86-panic.log"));
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].kind, KernelIssueKind::kWarning);
  EXPECT_EQ(issues[0].first_line, 6u);
  EXPECT_EQ(issues[0].lines.back().find("---[ end trace") != std::string::npos, true);
  EXPECT_EQ(issues[1].kind, KernelIssueKind::kPanic);
  EXPECT_EQ(issues[1].lines.size(), 10u);
  EXPECT_NE(issues[1].lines.back().find("end Kernel panic"), std::string::npos);
}

TEST(Console, CommandLineAndBugReportTextAreNotFailures) {
  // The pitfall of case-insensitive matching.
  auto issues = find_kernel_issues(
      "[    0.000000] Command line: console=ttyS0 panic=-1\n"
      "[    0.1] ACPI: please report a bug\n"
      "[    0.2] kernel panic handling configured\n"
      "[    0.3] bug: lowercase is not the kernel's format\n");
  EXPECT_TRUE(issues.empty());
}

TEST(Console, OopsAndBugOnArm64) {
  auto issues = find_kernel_issues(
      "[    1.0] Unable to handle kernel NULL pointer dereference at virtual address 0\n"
      "[    1.1] Internal error: Oops: 96000005 [#1] PREEMPT SMP\n"
      "[    1.2] Modules linked in:\n"
      "[    1.3] pc : crash+0x4/0x10\n"
      "[    1.4] Call trace:\n"
      "[    1.5]  crash+0x4/0x10\n"
      "[    1.6] ---[ end trace 0000000000000000 ]---\n"
      "[    1.7] next line\n"
      "[    2.0] kernel BUG at mm/slub.c:123!\n");
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].kind, KernelIssueKind::kOops);
  EXPECT_EQ(issues[0].lines.size(), 6u);
  EXPECT_EQ(issues[1].kind, KernelIssueKind::kBug);
}

// What a real x86_64 tinyconfig kernel (no KALLSYMS) prints.
TEST(Console, TraceWithoutSymbols) {
  auto issues = find_kernel_issues(
      "[    0.037648] Kernel panic - not syncing: kci test: injected init panic\n"
      "[    0.037949] CPU: 0 PID: 1 Comm: swapper Not tainted 6.1.192 #2 \n"
      "[    0.038264] Call Trace:\n"
      "[    0.038683]  <TASK>\n"
      "[    0.038773]  ? 0xffffffff811b78ed\n"
      "[    0.039311]  </TASK>\n"
      "[    0.040000] Kernel Offset: disabled\n"
      "[    0.040001] ---[ end Kernel panic - not syncing: kci test: injected init panic ]---\n"
      "[    0.050000] reboot: Restarting system\n");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].lines.size(), 8u);
}

TEST(Console, CleansEscapesAndCarriageReturns) {
  EXPECT_EQ(clean_console("\x1b"
                          "c\x1b[2J\x1b[?7lSeaBIOS\r\nok\r\n"),
            "SeaBIOS\nok\n");
}

TEST(Console, PanicWatcherStopsAtTheEndOfTheTrace) {
  PanicWatcher watcher;
  EXPECT_FALSE(watcher.feed("[ 0.1] Command line: panic=-1\n[ 0.6] Kernel pa"));
  EXPECT_FALSE(watcher.feed("nic - not syncing: boom\n[ 0.6] Call Trace:\n"));
  EXPECT_TRUE(watcher.panic_seen());
  EXPECT_TRUE(watcher.feed("[ 0.6] ---[ end Kernel panic - not syncing: boom ]---\n"));
}

TEST(Console, ExcerptIsLimited) {
  std::vector<KernelIssue> issues{{KernelIssueKind::kBug, 1, {std::string(100, 'x'), "y"}}};
  EXPECT_EQ(issues_excerpt(issues, 50), "");
  EXPECT_EQ(issues_excerpt(issues), std::string(100, 'x') + "\ny\n");
}

}  // namespace
}  // namespace kci::pipeline
