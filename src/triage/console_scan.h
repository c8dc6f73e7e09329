// SPDX-License-Identifier: LGPL-2.1-or-later
// Finds kernel problem reports in a console (serial, dmesg) log and titles
// them the way syzbot does: "KASAN: use-after-free Read in tcp_v4_rcv",
// "WARNING in __queue_work", "INFO: task hung in jbd2_journal_commit_transaction".
//
// The scanner is a line-at-a-time state machine over bounded memory: feed
// it lines (LineSplitter does), it hands finished reports to a sink in the
// order they started. Reports of different printk callers ("[T123]",
// "[C1]") are followed separately, so interleaved lines from another CPU do
// not break a report; without caller ids, lines that are not part of a
// report (no frame, no marker) are skipped over. A report whose function
// cannot be found (the log ends mid-report, the stack is missing or
// garbled) is titled "... in corrupted" and marked corrupted.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "triage/finding.h"

namespace kci::triage {

struct ConsoleScanOptions {
  // At most this many reports per log; the rest are counted, not reported.
  std::size_t max_findings = 10000;
  // A report ends at most this many of its lines after its header.
  std::size_t max_report_lines = 200;
};

class ConsoleScanner {
 public:
  using Sink = std::function<void(Finding&&)>;
  explicit ConsoleScanner(Sink sink, ConsoleScanOptions options = {});
  ~ConsoleScanner();
  ConsoleScanner(const ConsoleScanner&) = delete;
  ConsoleScanner& operator=(const ConsoleScanner&) = delete;

  // One line of the log (without its newline) and its 1-based number.
  void line(std::string_view raw, std::size_t number);
  // End of log: open reports are finished (a report without its function is
  // corrupted).
  void finish();
  // Reports found beyond max_findings.
  std::size_t dropped() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Scans a whole log held in memory.
std::vector<Finding> scan_console(std::string_view log, ConsoleScanOptions options = {});

// True if `function` is a generic helper (reporting, printing, locking,
// allocation, scheduling) that is never the title's function.
bool is_skipped_function(std::string_view function);

}  // namespace kci::triage
