// SPDX-License-Identifier: LGPL-2.1-or-later
#include "triage/scan.h"

#include "triage/build_scan.h"
#include "triage/console_scan.h"
#include "triage/line_splitter.h"

namespace kci::triage {

std::optional<LogKind> parse_log_kind(std::string_view name) {
  if (name == "console") return LogKind::kConsole;
  if (name == "build") return LogKind::kBuild;
  return std::nullopt;
}

namespace {

template <typename Scanner, typename Feed>
ScanTotals run(const FindingSink& sink, Feed&& feed) {
  ScanTotals totals;
  Scanner scanner([&](Finding&& f) {
    ++totals.findings;
    sink(std::move(f));
  });
  LineSplitter splitter([&scanner](std::string_view l, std::size_t n) { scanner.line(l, n); });
  feed(splitter);
  scanner.finish();
  totals.bytes = splitter.bytes();
  totals.lines = splitter.lines();
  totals.dropped = scanner.dropped();
  return totals;
}

template <typename Feed>
ScanTotals run_kind(LogKind kind, const FindingSink& sink, Feed&& feed) {
  if (kind == LogKind::kConsole) return run<ConsoleScanner>(sink, feed);
  return run<BuildScanner>(sink, feed);
}

}  // namespace

ScanTotals scan_stream(LogKind kind, std::FILE* stream, const std::string& name,
                       const FindingSink& sink) {
  return run_kind(kind, sink,
                  [&](LineSplitter& splitter) { split_stream(stream, name, splitter); });
}

std::vector<Finding> scan_text(LogKind kind, std::string_view log) {
  std::vector<Finding> out;
  run_kind(
      kind, [&out](Finding&& f) { out.push_back(std::move(f)); },
      [&](LineSplitter& splitter) {
        splitter.feed(log);
        splitter.finish();
      });
  return out;
}

}  // namespace kci::triage
