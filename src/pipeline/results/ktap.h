// SPDX-License-Identifier: LGPL-2.1-or-later
// Parsing KTAP 1 and TAP 13/14 as the kernel prints them (KUnit on the
// console, kselftest): nested subtests by indentation, "# SKIP" / "# TODO"
// directives, diagnostic lines, and output that stops in the middle because
// the kernel crashed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kci::pipeline {

enum class KtapStatus {
  kPass,      // "ok"
  kFail,      // "not ok"
  kSkip,      // "ok/not ok ... # SKIP"
  kTodo,      // "not ok ... # TODO": a known failure, no verdict
  kCrashed,   // the output ended (or jumped out) before the test's result line
  kNoResult,  // declared by a plan line but never seen
};

const char* to_string(KtapStatus status);

struct KtapTest {
  std::string name;  // "example_simple_test"
  int number = 0;    // the test number of its result line (0 if none)
  KtapStatus status = KtapStatus::kNoResult;
  std::string directive_reason;  // text after "# SKIP" / "# TODO"
  std::vector<std::string> log;  // diagnostic and other lines printed while it ran
  std::vector<KtapTest> subtests;
  std::optional<int> planned;  // "1..N" of its subtests, if printed
  std::size_t first_line = 0;  // 1-based line numbers of the text it covers
  std::size_t last_line = 0;
};

struct KtapDocument {
  bool found = false;               // a "KTAP version" / "TAP version" line was seen
  std::string version;              // "KTAP version 1", "TAP version 14"
  std::optional<int> planned;       // top-level plan
  std::vector<KtapTest> tests;      // top-level tests (KUnit: the suites)
  std::vector<std::string> errors;  // format problems, e.g. "expected 3 tests, got 2"
};

// Removes the printk timestamp ("[    1.234567] ") from each line, so KTAP
// from a serial console can be parsed. Lines without one are kept as they are.
std::string strip_printk_timestamps(std::string_view console);

// Parses the first KTAP/TAP document found in text (everything before its
// version line is ignored; so is kernel noise between its lines that is not
// indented like KTAP). Never throws.
KtapDocument parse_ktap(std::string_view text);

}  // namespace kci::pipeline
