// SPDX-License-Identifier: LGPL-2.1-or-later
// Reading and writing streams of JSON reports the way kcidb's tools do: a
// stream is a series of concatenated JSON values, optionally framed as an
// RFC 7464 JSON text sequence (each value preceded by the RS byte 0x1E).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "report/json.h"
#include "util/error.h"

namespace kci::report {

// Malformed JSON: the message names the source, line and column.
class ParseError : public InvalidInputError {
 public:
  ParseError(const std::string& source, std::size_t line, std::size_t column,
             const std::string& what);
  const std::string& source() const { return source_; }
  std::size_t line() const { return line_; }
  std::size_t column() const { return column_; }

 private:
  std::string source_;
  std::size_t line_;
  std::size_t column_;
};

// One parsed JSON value of a stream, with where it came from.
struct ParsedValue {
  json::Document doc;
  std::string source;  // file name or "<stdin>"
  std::size_t index;   // 0-based position in the stream
  std::size_t line;    // 1-based line where the value starts
  std::size_t bytes;   // size of its text
};

// Splits a buffer into JSON values. Parsing happens in place, so the reader
// owns the text, and documents it returns point into it: keep the reader
// alive while they are used.
// Not thread-safe; one reader per stream.
class JsonStreamReader {
 public:
  // seq: expect RFC 7464 framing (--seq-in).
  JsonStreamReader(std::string text, std::string source, bool seq = false);
  JsonStreamReader(const JsonStreamReader&) = delete;
  JsonStreamReader& operator=(const JsonStreamReader&) = delete;

  // The next value, or nullopt at the end of the stream. Throws ParseError
  // on malformed input (with position); the reader cannot continue after it.
  std::optional<ParsedValue> next();

  // Maximum depth of nested arrays/objects accepted (deeper is a ParseError).
  static constexpr std::size_t kMaxDepth = 512;

 private:
  void skip_whitespace();
  [[noreturn]] void fail(std::size_t offset, const std::string& what) const;

  std::string text_;  // pristine text, for error positions and lines
  std::string work_;  // text parsed (and modified) in place, NUL-padded
  std::string source_;
  bool seq_;
  std::size_t pos_ = 0;
  std::size_t index_ = 0;
  std::size_t line_ = 1;       // line of uncounted_
  std::size_t uncounted_ = 0;  // newlines before this offset are in line_
};

// Reads every value of the named files in order ("-" = stdin; no files =
// stdin), as kcidb tools do. Throws FileError / ParseError.
std::vector<ParsedValue> read_all(const std::vector<std::string>& files, bool seq,
                                  std::vector<std::unique_ptr<JsonStreamReader>>& keep);

// Formats one output value: --seq-out puts RS before it; every value ends
// with a newline.
void write_value(const json::Value& v, int indent, bool seq, std::string& out);

}  // namespace kci::report
