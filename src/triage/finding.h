// SPDX-License-Identifier: LGPL-2.1-or-later
// One problem found in a log: a kernel crash report in a console log, or a
// compiler, linker, modpost, make or Kconfig diagnostic in a build log.
#pragma once

#include <cstddef>
#include <string>

namespace kci::triage {

enum class LogKind { kConsole, kBuild };

const char* to_string(LogKind kind);

struct Finding {
  // What it is: for console logs the report class ("warning", "bug", "kasan",
  // "panic", "fault", "lockdep", "hung_task", ...); for build logs
  // "compiler_error", "compiler_warning", "linker_error", "modpost_error",
  // "modpost_warning", "make_error", "kconfig_error", "kconfig_warning".
  std::string kind;
  // Normalised, syzbot-style title ("KASAN: use-after-free Read in tcp_v4_rcv",
  // "drivers/foo.c: error: 'x' undeclared"): the same problem gets the same
  // title across runs and machines.
  std::string title;
  std::size_t line = 0;  // 1-based line of the log where the report starts
  std::string excerpt;   // the report's lines, at most kMaxExcerpt bytes, valid UTF-8
  // Hex digest that identifies the problem: of the title for console
  // reports; of (class, file, canonical message) for build diagnostics, so
  // it survives line moves and gcc-vs-clang wording.
  std::string signature;
  // The report was cut short (log ended mid-report, stack missing).
  bool corrupted = false;
  // Build diagnostics only: source file, line in it, message.
  std::string file;
  std::size_t file_line = 0;
  std::string message;
};

inline constexpr std::size_t kMaxExcerpt = 16384;  // KCIDB's log_excerpt limit

// One JSON object on one line (no newline): kind, title, line, excerpt,
// signature, corrupted (and file, file_line, message for build findings).
std::string to_json_line(const Finding& finding);

// The signature of a title or key: the first 32 hex digits of its SHA-256.
std::string signature_of(std::string_view key);

}  // namespace kci::triage
