// SPDX-License-Identifier: LGPL-2.1-or-later
#include "triage/console_scan.h"

#include <gtest/gtest.h>

#include "triage/line_splitter.h"
#include "triage/log_text.h"

namespace kci::triage {
namespace {

std::vector<std::string> titles(std::string_view log) {
  std::vector<std::string> out;
  for (const auto& f : scan_console(log)) out.push_back(f.title);
  return out;
}

TEST(LogText, StripsTimestampsCallersAndLevels) {
  std::string_view caller;
  EXPECT_EQ(strip_printk_prefix("[   12.345678] BUG: x", &caller), "BUG: x");
  EXPECT_EQ(caller, "");
  EXPECT_EQ(strip_printk_prefix("[   12.345678][  T123] BUG: x", &caller), "BUG: x");
  EXPECT_EQ(caller, "T123");
  EXPECT_EQ(strip_printk_prefix("<4>[    1.000000] [    C1] WARNING: y", &caller), "WARNING: y");
  EXPECT_EQ(caller, "C1");
  EXPECT_EQ(strip_printk_prefix("no prefix", &caller), "no prefix");
  EXPECT_EQ(strip_printk_prefix("[12.x] keep"), "[12.x] keep");
}

TEST(LogText, ParsesFrames) {
  bool ip = false;
  EXPECT_EQ(parse_frame(" tcp_v4_rcv+0x2f1a/0x3170", &ip), "tcp_v4_rcv");
  EXPECT_FALSE(ip);
  EXPECT_EQ(parse_frame("  e1000_watchdog+0x1a4/0x5a0 [e1000]"), "e1000_watchdog");
  EXPECT_EQ(parse_frame("    [<ffffffffa0002045>] kci_leak_init+0x45/0x1000 [kci_leak]"),
            "kci_leak_init");
  EXPECT_EQ(parse_frame("RIP: 0010:kmem_cache_free+0x3b4/0x3c0", &ip), "kmem_cache_free");
  EXPECT_TRUE(ip);
  EXPECT_EQ(parse_frame("pc : meson_mmc_request+0x2c/0x1b0", &ip), "meson_mmc_request");
  EXPECT_TRUE(ip);
  EXPECT_EQ(parse_frame(" foo.isra.0+0x1/0x2"), "foo");
  EXPECT_FALSE(parse_frame(" ? __warn+0x7d/0x130"));
  EXPECT_FALSE(parse_frame("RIP: 0033:0x7f3a1b2c"));
  EXPECT_FALSE(parse_frame("Modules linked in: e1000"));
}

TEST(LogText, NormalisesTitles) {
  EXPECT_EQ(normalize_title("BUG: soft lockup - CPU#3 stuck for 22s!"),
            "BUG: soft lockup - CPU stuck for NUMs!");
  EXPECT_EQ(normalize_title("kernel panic: Attempted to kill init! exitcode=0x00000009"),
            "kernel panic: Attempted to kill init! exitcode=ADDR");
  EXPECT_EQ(normalize_title("WARNING in tcp_v4_rcv+0x12/0x34"), "WARNING in tcp_v4_rcv");
  EXPECT_EQ(normalize_title("BUG: x at mm/slub.c:379"), "BUG: x at mm/slub.c:LINE");
  EXPECT_EQ(normalize_title("deadlock at ffff88801c8a6a18 in ext4_fill_super"),
            "deadlock at ADDR in ext4_fill_super");
  EXPECT_EQ(normalize_title(std::string(300, 'z')).size(), 120u);
  EXPECT_EQ(normalize_title("bad\x01\xff byte"), "bad byte");
}

TEST(LogText, SanitizesInvalidUtf8) {
  EXPECT_EQ(sanitize_text("ok \xc3\xa9 \xff\xfe \xe2\x82 \x01"), "ok \xc3\xa9 ?? ?? ?");
  EXPECT_EQ(sanitize_text("\xed\xa0\x80"), "???");  // a UTF-16 surrogate
}

TEST(ConsoleScan, SyzbotTitles) {
  EXPECT_EQ(titles("[ 1.0] BUG: KASAN: use-after-free in tcp_v4_rcv+0x1/0x2\n"
                   "[ 1.0] Read of size 8 at addr ffff888012345678 by task a/1\n"
                   "[ 1.0] Call Trace:\n"
                   "[ 1.0]  dump_stack_lvl+0x1/0x2\n"
                   "[ 1.0]  kasan_report+0x1/0x2\n"
                   "[ 1.0]  tcp_v4_rcv+0x1/0x2\n"),
            std::vector<std::string>{"KASAN: use-after-free Read in tcp_v4_rcv"});
  EXPECT_EQ(titles("WARNING: CPU: 1 PID: 57 at kernel/workqueue.c:1700 __queue_work+0xc3b/0x1010\n"
                   "---[ end trace 0000000000000000 ]---\n"),
            std::vector<std::string>{"WARNING in __queue_work"});
  EXPECT_EQ(titles("INFO: task jbd2/vda1-8:143 blocked for more than 122 seconds.\n"
                   "Call Trace:\n <TASK>\n __schedule+0x3f0/0xa30\n schedule+0x5d/0xe0\n"
                   " jbd2_journal_commit_transaction+0x16bc/0x1a10\n"),
            std::vector<std::string>{"INFO: task hung in jbd2_journal_commit_transaction"});
}

TEST(ConsoleScan, SameBugSameTitleAcrossRunsAndMachines) {
  auto a = scan_console(
      "[ 5.1] kernel BUG at mm/slub.c:379!\n[ 5.1] invalid opcode: 0000 [#1] SMP\n"
      "[ 5.1] CPU: 3 PID: 2211 Comm: k\n[ 5.1] RIP: 0010:kmem_cache_free+0x3b4/0x3c0\n");
  auto b = scan_console(
      "[ 9.9][  T7] kernel BUG at mm/slub.c:381!\n[ 9.9][  T7] invalid opcode: 0000 [#2] SMP\n"
      "[ 9.9][  T7] CPU: 0 PID: 7 Comm: x\n[ 9.9][  T7] RIP: 0010:kmem_cache_free+0x3c4/0x3d0\n");
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].title, "kernel BUG in kmem_cache_free");
  EXPECT_EQ(a[0].title, b[0].title);
  EXPECT_EQ(a[0].signature, b[0].signature);
  EXPECT_FALSE(a[0].corrupted);
}

TEST(ConsoleScan, TruncatedReportIsCorrupted) {
  auto f = scan_console(
      "[ 1.0] BUG: KASAN: slab-out-of-bounds in memcpy+0x1/0x2\n"
      "[ 1.0] Write of size 1 at addr ffff88800a4c2d48 by task x/1\n"
      "[ 1.0] Call Trace:\n");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].title, "KASAN: slab-out-of-bounds Write in corrupted");
  EXPECT_TRUE(f[0].corrupted);
}

TEST(ConsoleScan, StackMarkerWithoutFramesIsCorrupted) {
  std::string log =
      "[ 1.0] INFO: task a:1 blocked for more than 120 seconds.\n[ 1.0] Call Trace:\n";
  for (int i = 0; i < 20; ++i) log += "[ 1.0] line without a frame\n";
  log += "[ 1.0]  kci_wait+0x1/0x2\n";
  auto f = scan_console(log);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_TRUE(f[0].corrupted);
}

TEST(ConsoleScan, HarmlessLinesAreNotReports) {
  EXPECT_TRUE(titles("[ 0.0] Command line: console=ttyS0 panic=-1\n"
                     "[ 0.1] ACPI: please report a bug if this message is shown\n"
                     "[ 0.2] Warning: unable to open an initial console.\n"
                     "[ 0.3] INFO: lockdep is turned off.\n")
                  .empty());
}

TEST(ConsoleScan, PanicAfterOopsFoldsIntoIt) {
  auto t = titles(
      "[ 1.0] BUG: kernel NULL pointer dereference, address: 0000000000000010\n"
      "[ 1.0] Oops: 0000 [#1] PREEMPT SMP NOPTI\n"
      "[ 1.0] RIP: 0010:kci_null_deref_init+0x12/0x30\n"
      "[ 1.0] Kernel panic - not syncing: Fatal exception\n");
  EXPECT_EQ(t, std::vector<std::string>{
                   "BUG: unable to handle kernel NULL pointer dereference in kci_null_deref_init"});
}

TEST(ConsoleScan, BoundedOnHugeAndBinaryInput) {
  // A 10 MB line, binary bytes, a header line longer than the line cap.
  std::vector<Finding> found;
  ConsoleScanner scanner([&found](Finding&& f) { found.push_back(std::move(f)); });
  LineSplitter splitter([&scanner](std::string_view l, std::size_t n) { scanner.line(l, n); });
  std::string chunk(1 << 20, 'x');
  for (int i = 0; i < 10; ++i) splitter.feed(chunk);
  splitter.feed("\n");
  std::string binary;
  for (int i = 0; i < 65536; ++i) binary += static_cast<char>(i * 7 % 256);
  splitter.feed(binary);
  splitter.feed("\nWARNING: CPU: 0 PID: 1 at a.c:1 kci_fn+0x1/0x2 " + std::string(20000, 'y') +
                "\n");
  splitter.finish();
  scanner.finish();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].title, "WARNING in kci_fn");
  EXPECT_LE(found[0].excerpt.size(), kMaxLine + 1);
}

TEST(ConsoleScan, LimitsTheNumberOfReports) {
  std::string log;
  for (int i = 0; i < 50; ++i) log += "kmemleak: 1 new suspected memory leaks\n";
  ConsoleScanOptions o;
  o.max_findings = 10;
  std::size_t n = 0;
  ConsoleScanner scanner([&n](Finding&&) { ++n; }, o);
  LineSplitter splitter([&scanner](std::string_view l, std::size_t k) { scanner.line(l, k); });
  splitter.feed(log);
  splitter.finish();
  scanner.finish();
  EXPECT_EQ(n, 10u);
  EXPECT_EQ(scanner.dropped(), 40u);
}

TEST(LineSplitter, SplitsAcrossChunksAndCutsLongLines) {
  std::vector<std::string> lines;
  LineSplitter s([&lines](std::string_view l, std::size_t) { lines.emplace_back(l); }, 8);
  s.feed("ab");
  s.feed("c\r\nde");
  s.feed("fghijklmnop\nq");
  s.finish();
  EXPECT_EQ(lines, (std::vector<std::string>{"abc", "defghijk", "q"}));
}

TEST(SkipList, GenericHelpersOnly) {
  EXPECT_TRUE(is_skipped_function("dump_stack_lvl"));
  EXPECT_TRUE(is_skipped_function("__kasan_report"));
  EXPECT_TRUE(is_skipped_function("_raw_spin_lock_irqsave"));
  EXPECT_FALSE(is_skipped_function("kmem_cache_free"));
  EXPECT_FALSE(is_skipped_function("tcp_v4_rcv"));
}

}  // namespace
}  // namespace kci::triage
