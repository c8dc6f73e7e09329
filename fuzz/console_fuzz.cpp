// SPDX-License-Identifier: LGPL-2.1-or-later
// Serial console logs: the triage scanner (`kci logs scan --kind console`,
// in memory and line by line from chunks, as the stream reader feeds it),
// the runtimes' kernel issue finder and panic watcher, the baseline plan's
// evaluation and the HTML log page. Invariants: nothing throws for any
// bytes; chunks and the whole text give the same findings; a finding's
// line is in the log.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz.h"
#include "pipeline/results/console.h"
#include "pipeline/results/log_html.h"
#include "pipeline/runtime/testplan.h"
#include "scan_check.h"
#include "triage/console_scan.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kci;
  std::string_view text(reinterpret_cast<const char*>(data), size);

  fuzz::check_scanner<triage::ConsoleScanner>(triage::LogKind::kConsole, text);
  triage::ConsoleScanOptions small;
  small.max_findings = 2;
  small.max_report_lines = 5;
  KCI_FUZZ_CHECK(triage::scan_console(text, small).size() <= 2);

  std::string clean = pipeline::clean_console(text);
  std::vector<pipeline::KernelIssue> issues = pipeline::find_kernel_issues(clean);
  KCI_FUZZ_CHECK(pipeline::issues_excerpt(issues, 100).size() <= 100);
  pipeline::PanicWatcher watcher;
  for (std::size_t i = 0; i < text.size(); i += 7) watcher.feed(text.substr(i, 7));
  pipeline::BootOutcome boot;
  pipeline::evaluate_plan("baseline", clean, boot);
  pipeline::console_log_html(text, text.substr(0, 16));
  return 0;
}
