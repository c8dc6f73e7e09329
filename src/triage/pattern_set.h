// SPDX-License-Identifier: LGPL-2.1-or-later
// Every known-issue regex compiled into one Vectorscan (Hyperscan) database,
// so a log is read once whatever the number of rules: the cost grows with
// log bytes, not with rules x logs (see docs/performance.md for the
// measurement against RE2::Set). Logs are fed chunk by chunk, in bounded
// memory, and matched in block mode over runs of whole lines.
//
// Regexes match within a line: "." does not match a newline, ^ / $ match at
// line boundaries (Hyperscan's default dot and HS_FLAG_MULTILINE), and a
// match never spans two blocks (a line longer than 64 KiB is matched in
// 64 KiB pieces).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kci::triage {

class PatternSet {
 public:
  // Compiles the patterns; pattern i reports id i. An empty set is valid
  // (it matches nothing). Throws InvalidInputError naming the pattern.
  explicit PatternSet(const std::vector<std::string>& patterns);
  ~PatternSet();
  PatternSet(PatternSet&&) noexcept;
  PatternSet& operator=(PatternSet&&) noexcept;

  std::size_t size() const { return size_; }

  // "" if the regex compiles, else the engine's message.
  static std::string check(const std::string& pattern);

  // One scan of one text, fed in chunks. Not thread-safe; use one per
  // thread (scratch space is per scanner).
  class Scanner {
   public:
    explicit Scanner(const PatternSet& set);
    ~Scanner();
    Scanner(const Scanner&) = delete;
    Scanner& operator=(const Scanner&) = delete;
    void feed(std::string_view chunk);
    // Ends the text; returns the ids that matched, sorted, each once.
    std::vector<std::uint32_t> finish();

   private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };

  // Convenience: the ids matching a text held in memory.
  std::vector<std::uint32_t> match(std::string_view text) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::size_t size_ = 0;
};

}  // namespace kci::triage
