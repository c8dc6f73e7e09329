// SPDX-License-Identifier: LGPL-2.1-or-later
// Small pieces of kernel log text handling shared by the scanners: printk
// prefixes, stack frames, title normalisation, safe excerpts.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kci::triage {

// A console line without its printk decorations: an optional syslog level
// "<4>", the "[   12.345678]" timestamp and the CONFIG_PRINTK_CALLER id
// "[T123]"/"[  C1]". `caller` gets the caller id ("T123", "C1") or "".
std::string_view strip_printk_prefix(std::string_view line, std::string_view* caller = nullptr);

// The function of a stack frame line (after strip_printk_prefix), or
// nullopt when the line is not a frame. Recognises x86 and arm64 traces
// (" func+0x12/0x34", " func+0x12/0x34 [module]", "[<ffffffff8100>] func+0x12/0x34"),
// "RIP: 0010:func+0x12/0x34", "pc : func+0x12/0x34", "PC is at func+0x12/0x34".
// Unreliable frames ("? func+0x...") are not frames. `is_ip` is set for the
// RIP/pc line (the faulting instruction).
std::optional<std::string_view> parse_frame(std::string_view content, bool* is_ip = nullptr);

// A function name without compiler suffixes: "foo.isra.0" -> "foo",
// "bar.cold" -> "bar", "baz.constprop.3" -> "baz".
std::string_view clean_function(std::string_view name);

// "func+0x12/0x34" -> "func" wherever it appears in text.
// Normalises a title the way syzbot does: function offsets dropped, hex
// numbers of 6+ digits (and 0x...) -> ADDR, "CPU#3" -> CPU, "file.c:123" ->
// "file.c:LINE", other numbers -> NUM, non-printable characters dropped,
// runs of spaces collapsed, at most 120 characters.
std::string normalize_title(std::string_view text);

// The text with invalid UTF-8 and control characters (other than tab)
// replaced by '?', so that it can go into JSON and a KCIDB log_excerpt.
std::string sanitize_text(std::string_view text);
// Appends sanitize_text(line) and "\n" to excerpt unless that would make it
// longer than max; returns false when it did not fit.
bool append_excerpt_line(std::string& excerpt, std::string_view line, std::size_t max);

inline bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace kci::triage
