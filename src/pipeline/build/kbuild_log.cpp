// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/build/kbuild_log.h"

#include <algorithm>
#include <array>

#include "util/text.h"

namespace kci::pipeline {

namespace {

bool contains(std::string_view line, std::string_view what) {
  return line.find(what) != std::string_view::npos;
}

// Messages of a machine that could not do the work. A compiler killed by
// the OOM killer or a full disk says nothing about the kernel's code.
constexpr std::array kInfrastructurePatterns = {
    std::string_view("No space left on device"),
    std::string_view("Disk quota exceeded"),
    std::string_view("internal compiler error: Killed"),
    std::string_view("Killed signal terminated program"),
    std::string_view("virtual memory exhausted"),
    std::string_view("Cannot allocate memory"),
    std::string_view("command not found"),
    std::string_view("Too many open files"),
};

bool is_infrastructure_line(std::string_view line) {
  for (auto pattern : kInfrastructurePatterns) {
    if (contains(line, pattern)) return true;
  }
  // "/bin/sh: 1: aarch64-linux-gnu-gcc: not found": a tool vanished.
  return line.starts_with("/bin/sh: ") && line.ends_with(": not found");
}

// Lines gcc and clang print around an error: the source line and the caret
// ("  123 |   foo();", "      |   ^~~"), notes and "In file included from".
bool is_context_line(std::string_view line) {
  if (line.empty()) return false;
  if (contains(line, " | ") || line.ends_with(" |")) return true;
  if (contains(line, ": note: ")) return true;
  return line.front() == ' ' && !contains(line, "  CC ") && !contains(line, "  LD ") &&
         !contains(line, "  AR ") && !contains(line, "  AS ");
}

}  // namespace

bool is_error_line(std::string_view line) {
  // gcc/clang: "init/main.c:10:5: error: ..."; "fatal error:"; gas:
  // "file.S:3: Error: ..."; ld: "undefined reference to"; ld.lld: "ld.lld:
  // error: ..." (matched by ": error: "); modpost: "ERROR: modpost: ...".
  return contains(line, ": error: ") || contains(line, ": fatal error: ") ||
         contains(line, ": Error: ") || contains(line, "undefined reference to ") ||
         line.starts_with("ERROR: ");
}

bool is_warning_line(std::string_view line) {
  return contains(line, ": warning: ") || line.starts_with("WARNING: ");
}

BuildLogSummary scan_build_log(std::string_view log) {
  BuildLogSummary summary;
  for (std::string_view line : split_lines(log)) {
    if (is_error_line(line)) {
      ++summary.errors;
      summary.error_lines.emplace_back(line);
    } else if (is_warning_line(line)) {
      ++summary.warnings;
    }
    if (!summary.infrastructure_error && is_infrastructure_line(line)) {
      summary.infrastructure_error = std::string(line);
    }
  }
  return summary;
}

std::string build_log_excerpt(std::string_view log, std::size_t max_chars) {
  std::vector<std::string_view> lines = split_lines(log);
  std::vector<bool> keep(lines.size(), false);
  bool found = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!is_error_line(lines[i])) continue;
    found = true;
    keep[i] = true;
    // "init/main.c: In function 'kernel_init':" names where the error is.
    if (i > 0 && contains(lines[i - 1], ": In function ")) keep[i - 1] = true;
    for (std::size_t j = i + 1; j < lines.size() && j <= i + 4 && is_context_line(lines[j]); ++j) {
      keep[j] = true;
    }
  }
  if (!found) {
    // Nothing recognisable: the end of the log is where make stopped.
    std::size_t tail = std::min<std::size_t>(lines.size(), 40);
    std::fill(keep.end() - static_cast<std::ptrdiff_t>(tail), keep.end(), true);
  }
  std::string excerpt;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!keep[i]) continue;
    if (excerpt.size() + lines[i].size() + 1 > max_chars) break;
    excerpt.append(lines[i]);
    excerpt.push_back('\n');
  }
  return excerpt;
}

}  // namespace kci::pipeline
