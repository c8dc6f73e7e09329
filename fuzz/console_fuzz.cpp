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
#include "triage/console_scan.h"
#include "triage/line_splitter.h"
#include "triage/scan.h"

namespace {

// The findings of the log fed to a splitter in chunks of `chunk` bytes, as
// scan_stream reads a file (1 MiB at a time): lines cut across chunks
// must give the same findings as the whole text.
std::vector<kci::triage::Finding> chunked(std::string_view text, std::size_t chunk) {
  std::vector<kci::triage::Finding> out;
  kci::triage::ConsoleScanner scanner(
      [&out](kci::triage::Finding&& f) { out.push_back(std::move(f)); });
  kci::triage::LineSplitter splitter(
      [&scanner](std::string_view line, std::size_t n) { scanner.line(line, n); });
  for (std::size_t i = 0; i < text.size(); i += chunk) splitter.feed(text.substr(i, chunk));
  splitter.finish();
  scanner.finish();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kci;
  std::string_view text(reinterpret_cast<const char*>(data), size);

  std::vector<triage::Finding> in_memory = triage::scan_text(triage::LogKind::kConsole, text);
  std::size_t lines = 1;
  for (char c : text) lines += c == '\n';
  for (const triage::Finding& f : in_memory) {
    KCI_FUZZ_CHECK(f.line >= 1 && f.line <= lines);
    KCI_FUZZ_CHECK(f.excerpt.size() <= triage::kMaxExcerpt);
  }
  std::vector<triage::Finding> pieces = chunked(text, 1 + size % 61);
  KCI_FUZZ_CHECK(pieces.size() == in_memory.size());
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    KCI_FUZZ_CHECK(pieces[i].title == in_memory[i].title);
    KCI_FUZZ_CHECK(pieces[i].line == in_memory[i].line);
  }
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
