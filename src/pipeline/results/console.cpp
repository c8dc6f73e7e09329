// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/results/console.h"

#include <cctype>
#include <optional>

#include "util/text.h"

namespace kci::pipeline {

const char* to_string(KernelIssueKind kind) {
  switch (kind) {
    case KernelIssueKind::kPanic: return "panic";
    case KernelIssueKind::kOops: return "oops";
    case KernelIssueKind::kBug: return "bug";
    case KernelIssueKind::kWarning: return "warning";
  }
  return "?";
}

namespace {

// The message of a kernel log line, without its "[    1.234567] " stamp.
std::string_view message_of(std::string_view line) {
  std::size_t pos = 0;
  while (pos < line.size() && line[pos] == '[') {
    std::size_t close = line.find(']', pos);
    if (close == std::string_view::npos || close - pos > 24) break;
    pos = close + 1;
    while (pos < line.size() && line[pos] == ' ') ++pos;
  }
  return line.substr(pos);
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::optional<KernelIssueKind> issue_start(std::string_view line) {
  std::string_view msg = message_of(line);
  if (starts_with(msg, "Kernel panic - not syncing")) return KernelIssueKind::kPanic;
  // "Oops: 0000 [#1] SMP" (x86), "Internal error: Oops: ..." (arm64).
  if (starts_with(msg, "Oops:") ||
      (starts_with(msg, "Internal error:") && msg.find("Oops") != std::string_view::npos)) {
    return KernelIssueKind::kOops;
  }
  if (starts_with(msg, "BUG:") || starts_with(msg, "kernel BUG at")) return KernelIssueKind::kBug;
  if (starts_with(msg, "WARNING:")) return KernelIssueKind::kWarning;
  return std::nullopt;
}

// Lines that kernel traces are made of, after the first line.
bool looks_like_trace(std::string_view line) {
  std::string_view msg = message_of(line);
  if (msg.empty()) return false;
  // Indented after the stamp ("[    0.03]  ? 0xffffffff811b78ed",
  // "[    0.03]  <TASK>"): a frame of the trace. message_of() has eaten the
  // indentation, so look at the raw line.
  std::size_t stamp_end = line.size() - msg.size();
  if (stamp_end >= 2 && line[stamp_end - 1] == ' ' && line[stamp_end - 2] == ' ') return true;
  if (stamp_end == 0 && (line.front() == ' ' || line.front() == '\t')) return true;
  if (msg.front() == ' ' || msg.front() == '\t') return true;
  static constexpr std::string_view kTraceStarts[] = {
      "CPU:",
      "Hardware name:",
      "Call Trace:",
      "Call trace:",
      "RIP:",
      "RSP:",
      "RAX:",
      "RDX:",
      "RBP:",
      "R10:",
      "R13:",
      "FS:",
      "CS:",
      "CR2:",
      "DR0:",
      "DR3:",
      "Code:",
      "Modules linked in:",
      "pc :",
      "lr :",
      "sp :",
      "x2",
      "x1",
      "x0",
      "x9",
      "x8",
      "x7",
      "x6",
      "x5",
      "x4",
      "x3",
      "epc :",
      "ra :",
      "gp :",
      "t0 :",
      "s1 :",
      "a0 :",
      "a2 :",
      "a4 :",
      "a6 :",
      "s2 :",
      "s5 :",
      "s8 :",
      "s11:",
      "t5 :",
      "status:",
      "Workqueue:",
      "Stack:",
      "pstate:",
      "Kernel Offset:",
      "---[",
      "<TASK>",
      "</TASK>",
      "Tainted:",
      "Process ",
      "Mem abort info:",
      "Data abort info:",
      "ESR =",
      "EC =",
      "SET =",
      "FSC =",
      "CM =",
      "user pgtable:",
      "[<",
      "PGD ",
      "note:",
      "irq event stamp:",
      "hardirqs ",
      "softirqs ",
      "SMP:",
      "Unable to handle",
      "#PF:",
      "Rebooting in",
      "Kernel Offset",
      "CR0:",
      "ORIG_RAX:",
      "Code: Unable",
  };
  for (std::string_view start : kTraceStarts) {
    if (starts_with(msg, start)) return true;
  }
  // Frames printed without indentation on some architectures:
  // "dump_stack_lvl+0x34/0x48", "[<ffffffff8000...>] panic+0x...".
  std::size_t plus = msg.find("+0x");
  return plus != std::string_view::npos && plus > 0 && msg.find(' ') > plus;
}

bool ends_trace(std::string_view line) { return starts_with(message_of(line), "---[ end"); }

constexpr std::size_t kMaxTraceLines = 80;

}  // namespace

bool is_panic_line(std::string_view line) {
  auto kind = issue_start(line);
  return kind && *kind == KernelIssueKind::kPanic;
}

std::string clean_console(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\x1b') {
      // ESC [ ... final byte (CSI), or ESC + one character.
      if (i + 1 < raw.size() && raw[i + 1] == '[') {
        i += 2;
        while (i < raw.size() && !(raw[i] >= 0x40 && raw[i] <= 0x7e)) ++i;
      } else {
        ++i;
      }
      continue;
    }
    if (c == '\r' || c == '\0') continue;
    out.push_back(c);
  }
  return out;
}

std::vector<KernelIssue> find_kernel_issues(std::string_view console) {
  std::vector<KernelIssue> issues;
  std::vector<std::string_view> lines = split_lines(console, LineEnd::kKeepCr);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto kind = issue_start(lines[i]);
    if (!kind) continue;
    KernelIssue issue{*kind, i + 1, {std::string(lines[i])}};
    std::size_t j = i + 1;
    for (; j < lines.size() && issue.lines.size() < kMaxTraceLines; ++j) {
      if (issue_start(lines[j])) break;  // the next failure starts its own entry
      if (!looks_like_trace(lines[j])) break;
      issue.lines.emplace_back(lines[j]);
      if (ends_trace(lines[j])) {
        ++j;
        break;
      }
    }
    issues.push_back(std::move(issue));
    i = j - 1;
  }
  return issues;
}

std::string issues_excerpt(const std::vector<KernelIssue>& issues, std::size_t max_chars) {
  std::string out;
  for (const KernelIssue& issue : issues) {
    for (const std::string& line : issue.lines) {
      if (out.size() + line.size() + 1 > max_chars) return out;
      out += line;
      out += '\n';
    }
  }
  return out;
}

bool PanicWatcher::feed(std::string_view chunk) {
  if (done_) return true;
  partial_.append(chunk);
  std::size_t start = 0;
  for (;;) {
    std::size_t end = partial_.find('\n', start);
    if (end == std::string::npos) break;
    std::string_view line(partial_.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!panic_seen_) {
      if (is_panic_line(line)) panic_seen_ = true;
    } else {
      ++lines_since_panic_;
      // The panic trace ends with "---[ end Kernel panic - not syncing ...";
      // if a kernel prints no end line, a few lines are enough.
      if (ends_trace(line) || lines_since_panic_ >= 40) done_ = true;
    }
    start = end + 1;
  }
  partial_.erase(0, start);
  // Keep memory bounded if a guest prints a very long line.
  if (partial_.size() > 65536) partial_.erase(0, partial_.size() - 4096);
  return done_;
}

}  // namespace kci::pipeline
