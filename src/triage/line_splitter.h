// SPDX-License-Identifier: LGPL-2.1-or-later
// Splits a log fed in chunks of any size into lines, in bounded memory: a
// line longer than max_line bytes is cut to its first max_line bytes and the
// rest is dropped, so a 10 MB line (or a binary blob without newlines) costs
// max_line bytes, never its size. "\r\n" endings lose their "\r".
#pragma once

#include <cstddef>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

namespace kci::triage {

inline constexpr std::size_t kMaxLine = 4096;

class LineSplitter {
 public:
  // on_line(line, number): number is 1-based; the view is valid only
  // during the call.
  using LineSink = std::function<void(std::string_view, std::size_t)>;

  explicit LineSplitter(LineSink sink, std::size_t max_line = kMaxLine)
      : sink_(std::move(sink)), max_line_(max_line) {}

  void feed(std::string_view chunk);
  // Delivers a last line without a final newline.
  void finish();

  std::size_t lines() const { return number_; }
  std::size_t bytes() const { return bytes_; }

 private:
  void deliver(std::string_view line);

  LineSink sink_;
  std::size_t max_line_;
  std::string carry_;      // the start of a line split across chunks
  bool skipping_ = false;  // past max_line of the current line
  std::size_t number_ = 0;
  std::size_t bytes_ = 0;
};

// Reads a stream to its end through a splitter, 1 MiB at a time. Throws
// FileError (naming `name`) when the stream cannot be read.
void split_stream(std::FILE* stream, const std::string& name, LineSplitter& splitter);

}  // namespace kci::triage
