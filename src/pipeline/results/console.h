// SPDX-License-Identifier: LGPL-2.1-or-later
// Finding kernel failures in a serial console log the way KernelCI does:
// case-sensitive "Kernel panic", "Oops:", "BUG:", "WARNING:" lines with the
// call trace printed after them. A case-insensitive match would take
// "panic=-1" on the command line or "report a bug" from ACPI for failures.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kci::pipeline {

enum class KernelIssueKind { kPanic, kOops, kBug, kWarning };

const char* to_string(KernelIssueKind kind);

struct KernelIssue {
  KernelIssueKind kind;
  std::size_t first_line = 0;      // 1-based line of the "Kernel panic"/"BUG:" line
  std::vector<std::string> lines;  // that line and its trace, timestamps kept
};

// Removes terminal escape sequences (SeaBIOS clears the screen with "ESC c"
// and "ESC [2J") and carriage returns, so the log is plain text.
std::string clean_console(std::string_view raw);

// Every kernel failure in the log, in order. A trace ends at its "---[ end"
// line, or at the first line that does not belong to a trace.
std::vector<KernelIssue> find_kernel_issues(std::string_view console);

// True if the line starts a kernel panic ("Kernel panic - not syncing").
bool is_panic_line(std::string_view line);

// The lines of the issues, joined, for a KCIDB log_excerpt (which is limited
// to 16384 characters; the text is cut at a line boundary to fit).
std::string issues_excerpt(const std::vector<KernelIssue>& issues, std::size_t max_chars = 16384);

// Feeds console output chunk by chunk (as QEMU prints it) and says when a
// panic has been printed completely, so the runtime can stop the guest in
// seconds instead of waiting for its timeout.
class PanicWatcher {
 public:
  // Returns true once a panic was seen and its trace has ended (its "---[
  // end Kernel panic" line, or enough lines after it).
  bool feed(std::string_view chunk);
  bool panic_seen() const { return panic_seen_; }

 private:
  std::string partial_;
  bool panic_seen_ = false;
  int lines_since_panic_ = 0;
  bool done_ = false;
};

}  // namespace kci::pipeline
