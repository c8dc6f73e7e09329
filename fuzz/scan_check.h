// SPDX-License-Identifier: LGPL-2.1-or-later
// The invariants the console and build-log targets share for a triage
// scanner (triage/scan.h): scanning the whole text in memory and feeding it
// line by line in chunks, as scan_stream reads a file (1 MiB at a time),
// give the same findings, whose lines are in the log and whose excerpts
// respect their limit. Scanner is ConsoleScanner or BuildScanner.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz.h"
#include "triage/line_splitter.h"
#include "triage/scan.h"

namespace kci::fuzz {

template <typename Scanner>
std::vector<triage::Finding> scan_in_chunks(std::string_view text, std::size_t chunk) {
  std::vector<triage::Finding> out;
  Scanner scanner([&out](triage::Finding&& f) { out.push_back(std::move(f)); });
  triage::LineSplitter splitter(
      [&scanner](std::string_view line, std::size_t n) { scanner.line(line, n); });
  for (std::size_t i = 0; i < text.size(); i += chunk) splitter.feed(text.substr(i, chunk));
  splitter.finish();
  scanner.finish();
  return out;
}

template <typename Scanner>
void check_scanner(triage::LogKind kind, std::string_view text) {
  std::vector<triage::Finding> in_memory = triage::scan_text(kind, text);
  std::size_t lines = 1;
  for (char c : text) lines += c == '\n';
  for (const triage::Finding& f : in_memory) {
    KCI_FUZZ_CHECK(f.line >= 1 && f.line <= lines);
    KCI_FUZZ_CHECK(f.excerpt.size() <= triage::kMaxExcerpt);
  }
  // Chunk sizes vary with the input, so cuts land everywhere in a line.
  std::vector<triage::Finding> pieces = scan_in_chunks<Scanner>(text, 1 + text.size() % 61);
  KCI_FUZZ_CHECK(pieces.size() == in_memory.size());
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    KCI_FUZZ_CHECK(pieces[i].title == in_memory[i].title);
    KCI_FUZZ_CHECK(pieces[i].line == in_memory[i].line);
  }
}

}  // namespace kci::fuzz
