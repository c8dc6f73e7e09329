// SPDX-License-Identifier: LGPL-2.1-or-later
// Scanning a whole log of either kind, from memory or a stream.
#pragma once

#include <cstddef>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "triage/finding.h"

namespace kci::triage {

// "console" / "build"; nullopt for anything else.
std::optional<LogKind> parse_log_kind(std::string_view name);

struct ScanTotals {
  std::size_t bytes = 0;
  std::size_t lines = 0;
  std::size_t findings = 0;
  std::size_t dropped = 0;  // beyond the per-log limit
};

using FindingSink = std::function<void(Finding&&)>;

// Scans a stream to its end in bounded memory (1 MiB buffer, lines cut at
// kMaxLine bytes, open reports bounded). Throws FileError naming `name`
// when the stream cannot be read.
ScanTotals scan_stream(LogKind kind, std::FILE* stream, const std::string& name,
                       const FindingSink& sink);

// Scans a log held in memory.
std::vector<Finding> scan_text(LogKind kind, std::string_view log);

}  // namespace kci::triage
