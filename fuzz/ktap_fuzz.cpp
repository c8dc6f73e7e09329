// SPDX-License-Identifier: LGPL-2.1-or-later
// KTAP / TAP as the runtimes read it from a serial console: printk
// timestamps stripped, the first document parsed, and the KUnit plan
// evaluated into KCIDB test outcomes (pipeline::evaluate_plan, which kci
// test and the LAVA result parser call). Invariants: parse_ktap never
// throws; every test's lines lie inside the text; a crashed or missing
// test is never a PASS.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz.h"
#include "pipeline/results/ktap.h"
#include "pipeline/runtime/testplan.h"

namespace {

using kci::pipeline::KtapTest;

void check_tests(const std::vector<KtapTest>& tests, std::size_t lines) {
  for (const KtapTest& t : tests) {
    KCI_FUZZ_CHECK(t.first_line <= t.last_line || t.last_line == 0);
    KCI_FUZZ_CHECK(t.last_line <= lines + 1);
    check_tests(t.subtests, lines);
  }
}

std::size_t count_lines(std::string_view text) {
  std::size_t n = 1;
  for (char c : text) n += c == '\n';
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kci::pipeline;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  KtapDocument raw = parse_ktap(text);
  check_tests(raw.tests, count_lines(text));
  std::string stripped = strip_printk_timestamps(text);
  KCI_FUZZ_CHECK(stripped.size() <= text.size() + 1);
  KtapDocument doc = parse_ktap(stripped);
  check_tests(doc.tests, count_lines(stripped));
  BootOutcome boot;
  for (const TestOutcome& t : evaluate_plan("kunit", text, boot)) {
    KCI_FUZZ_CHECK(!t.path.empty());
  }
  return 0;
}
