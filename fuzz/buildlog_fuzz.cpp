// SPDX-License-Identifier: LGPL-2.1-or-later
// Kernel build logs: the triage scanner (`kci logs scan --kind build`, in
// memory and line by line from chunks, as the stream reader feeds it), the
// build step's own summary and excerpt (pipeline::scan_build_log) and the
// canonical message behind signatures. Invariants: nothing throws for any
// bytes; a finding's line is in the log; chunks and the whole text give
// the same findings; the excerpt respects its limit.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz.h"
#include "pipeline/build/kbuild_log.h"
#include "triage/build_scan.h"
#include "triage/line_splitter.h"
#include "triage/scan.h"

namespace {

// The findings of the log fed to a splitter in chunks of `chunk` bytes, as
// scan_stream reads a file (1 MiB at a time): lines cut across chunks
// must give the same findings as the whole text.
std::vector<kci::triage::Finding> chunked(std::string_view text, std::size_t chunk) {
  std::vector<kci::triage::Finding> out;
  kci::triage::BuildScanner scanner(
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
  std::vector<triage::Finding> in_memory = triage::scan_text(triage::LogKind::kBuild, text);
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
  triage::BuildScanOptions errors_only;
  errors_only.warnings = false;
  errors_only.max_findings = 3;
  KCI_FUZZ_CHECK(triage::scan_build(text, errors_only).size() <= 3);
  triage::canonical_message(text.substr(0, 512));

  pipeline::scan_build_log(text);
  KCI_FUZZ_CHECK(pipeline::build_log_excerpt(text, 200).size() <= 200);
  return 0;
}
