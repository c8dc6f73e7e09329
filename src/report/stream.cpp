// SPDX-License-Identifier: LGPL-2.1-or-later
#include "report/stream.h"

#include <rapidjson/error/en.h>

#include <algorithm>

#include "util/file.h"

namespace kci::report {

ParseError::ParseError(const std::string& source, std::size_t line, std::size_t column,
                       const std::string& what)
    : InvalidInputError(source + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + what),
      source_(source),
      line_(line),
      column_(column) {}

JsonStreamReader::JsonStreamReader(std::string text, std::string source, bool seq)
    : original_(std::move(text)), work_(original_), source_(std::move(source)), seq_(seq) {}

void JsonStreamReader::skip_whitespace() {
  while (pos_ < work_.size()) {
    char c = work_[pos_];
    if (c == '\n') {
      ++line_;
    } else if (!(c == ' ' || c == '\t' || c == '\r' || (seq_ && c == '\x1e'))) {
      break;
    }
    ++pos_;
  }
}

void JsonStreamReader::fail(std::size_t offset, const std::string& what) const {
  offset = std::min(offset, original_.size());
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (original_[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  // Columns count characters (code points), not bytes, as an editor does.
  std::size_t column = 1;
  for (std::size_t i = line_start; i < offset; ++i) {
    if ((static_cast<unsigned char>(original_[i]) & 0xC0) != 0x80) ++column;
  }
  throw ParseError(source_, line, column, what);
}

namespace {

// Checks nesting depth before RapidJSON builds the document, so hostile input
// cannot exhaust the stack in later recursive walks. Strings are skipped.
std::size_t find_too_deep(const std::string& s, std::size_t begin, std::size_t end,
                          std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = begin; i < end; ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if (c == ']' || c == '}') {
      if (depth > 0) --depth;
    }
  }
  return std::string::npos;
}

}  // namespace

std::optional<ParsedValue> JsonStreamReader::next() {
  skip_whitespace();
  if (pos_ >= work_.size()) return std::nullopt;
  std::size_t start = pos_;
  std::size_t start_line = line_;

  ParsedValue value{json::Document(), source_, index_, start_line, 0};
  rapidjson::InsituStringStream stream(work_.data() + start);
  constexpr unsigned kFlags = rapidjson::kParseInsituFlag | rapidjson::kParseStopWhenDoneFlag |
                              rapidjson::kParseValidateEncodingFlag |
                              rapidjson::kParseIterativeFlag;
  value.doc.ParseStream<kFlags>(stream);
  if (value.doc.HasParseError()) {
    fail(start + value.doc.GetErrorOffset(),
         std::string("invalid JSON: ") + rapidjson::GetParseError_En(value.doc.GetParseError()));
  }
  std::size_t end = start + stream.Tell();
  // In-situ parsing unescapes strings over the text, so count lines and
  // depth on the pristine copy.
  std::size_t deep = find_too_deep(original_, start, end, kMaxDepth);
  if (deep != std::string::npos) {
    fail(deep, "JSON nested deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  line_ += static_cast<std::size_t>(
      std::count(original_.begin() + static_cast<std::ptrdiff_t>(start),
                 original_.begin() + static_cast<std::ptrdiff_t>(end), '\n'));
  pos_ = end;
  value.bytes = end - start;
  // Concatenated values need no separator, but a scalar glued to the next
  // value ("1 2" is fine, "12" is one number) is RapidJSON's business; here
  // we only insist that what follows is whitespace, RS or another value.
  ++index_;
  return value;
}

std::vector<ParsedValue> read_all(const std::vector<std::string>& files, bool seq,
                                  std::vector<std::unique_ptr<JsonStreamReader>>& keep) {
  std::vector<std::string> names = files.empty() ? std::vector<std::string>{"-"} : files;
  std::vector<ParsedValue> values;
  for (const std::string& name : names) {
    std::string source = name == "-" ? "<stdin>" : name;
    keep.push_back(std::make_unique<JsonStreamReader>(read_file(name), source, seq));
    while (auto v = keep.back()->next()) values.push_back(std::move(*v));
  }
  return values;
}

void write_value(const json::Value& v, int indent, bool seq, std::string& out) {
  if (seq) out.push_back('\x1e');
  json::write(v, indent, out);
  out.push_back('\n');
}

}  // namespace kci::report
