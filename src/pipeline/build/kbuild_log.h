// SPDX-License-Identifier: LGPL-2.1-or-later
// Reading a kernel build log: counting warnings and errors, picking the
// compiler's error lines for KCIDB's log_excerpt, and recognising failures
// of the machine (disk full, out of memory, missing programs) that must be
// reported as ERROR, never blamed on the kernel as FAIL.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "report/model.h"

namespace kci::pipeline {

using report::kMaxLogExcerpt;

struct BuildLogSummary {
  std::size_t warnings = 0;              // "file:line:col: warning: ..." lines
  std::size_t errors = 0;                // compiler, assembler and linker error lines
  std::vector<std::string> error_lines;  // those lines, in order
  // Set when the log shows the machine failed rather than the code: the
  // line that says so ("No space left on device", "Killed", "not found").
  std::optional<std::string> infrastructure_error;
};

BuildLogSummary scan_build_log(std::string_view log);

// The excerpt KCIDB shows for a failed build: each error line with the
// compiler's context around it (the "In function" line before, the source
// and caret lines after), or the last lines of the log when no error line
// was recognised. At most max_chars characters, cut at line boundaries.
std::string build_log_excerpt(std::string_view log, std::size_t max_chars = kMaxLogExcerpt);

// True for a line reporting a compiler, assembler or linker error.
bool is_error_line(std::string_view line);
bool is_warning_line(std::string_view line);

}  // namespace kci::pipeline
