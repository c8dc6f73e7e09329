// SPDX-License-Identifier: LGPL-2.1-or-later
#include "report/stream.h"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>

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

// RapidJSON's SAX handler for a Document, forwarded, with a depth limit:
// the parser and later walks over the tree (validation, writing) recurse,
// so hostile nesting is refused while parsing, at the offending bracket,
// for no extra pass over the text.
class DepthLimitedHandler {
 public:
  explicit DepthLimitedHandler(json::Document& doc) : doc_(doc) {}
  bool too_deep() const { return too_deep_; }

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(std::int64_t i) { return doc_.Int64(i); }
  bool Uint64(std::uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    return doc_.RawNumber(s, n, copy);
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return doc_.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return doc_.Key(s, n, copy); }
  bool StartObject() { return enter() && doc_.StartObject(); }
  bool EndObject(rapidjson::SizeType n) {
    --depth_;
    return doc_.EndObject(n);
  }
  bool StartArray() { return enter() && doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) {
    --depth_;
    return doc_.EndArray(n);
  }

 private:
  bool enter() {
    if (++depth_ > JsonStreamReader::kMaxDepth) {
      too_deep_ = true;
      return false;
    }
    return true;
  }

  json::Document& doc_;
  std::size_t depth_ = 0;
  bool too_deep_ = false;
};

// Parses one value from `stream` into the document it is given (the
// generator interface of Document::Populate, which keeps the document's
// own stack and allocator).
struct InsituValueParser {
  rapidjson::InsituStringStream& stream;
  rapidjson::ParseResult result;
  bool too_deep = false;

  bool operator()(json::Document& doc) {
    // The recursive parser is faster than the iterative one, and safe here:
    // the handler refuses to open a container past kMaxDepth, so recursion
    // never goes deeper than that.
    constexpr unsigned kFlags = rapidjson::kParseInsituFlag | rapidjson::kParseStopWhenDoneFlag |
                                rapidjson::kParseValidateEncodingFlag;
    DepthLimitedHandler handler(doc);
    rapidjson::Reader reader;
    result = reader.Parse<kFlags>(stream, handler);
    too_deep = handler.too_deep();
    return !result.IsError();
  }
};

// RapidJSON reports a raw control character in a string as a bad escape;
// say what it is.
std::string describe_parse_error(const std::string& text, std::size_t offset,
                                 rapidjson::ParseErrorCode code) {
  if (code == rapidjson::kParseErrorStringEscapeInvalid && offset < text.size() &&
      static_cast<unsigned char>(text[offset]) < 0x20) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "%04X", static_cast<unsigned char>(text[offset]));
    return std::string("invalid JSON: unescaped control character U+") + hex +
           " in a string (write it as \\u" + hex + ")";
  }
  return std::string("invalid JSON: ") + rapidjson::GetParseError_En(code);
}

}  // namespace

std::optional<ParsedValue> JsonStreamReader::next() {
  if (!checked_nul_) {
    // In-situ parsing stops at a NUL byte as if the text ended there; a raw
    // NUL is never valid JSON, so say so where it is.
    checked_nul_ = true;
    const void* nul = std::memchr(work_.data(), '\0', work_.size());
    if (nul != nullptr) {
      fail(static_cast<std::size_t>(static_cast<const char*>(nul) - work_.data()),
           "invalid JSON: NUL byte (strings must write it as \\u0000)");
    }
  }
  skip_whitespace();
  if (pos_ >= work_.size()) return std::nullopt;
  std::size_t start = pos_;
  std::size_t start_line = line_;

  ParsedValue value{json::Document(), source_, index_, start_line, 0};
  rapidjson::InsituStringStream stream(work_.data() + start);
  InsituValueParser parser{stream, {}};
  value.doc.Populate(parser);
  if (parser.result.IsError()) {
    std::size_t at = start + parser.result.Offset();
    if (parser.too_deep) {
      // Point at the bracket that opened one level too many (the parser
      // has already stepped past it).
      if (at > start) --at;
      while (at > start && original_[at] != '[' && original_[at] != '{') --at;
      fail(at, "invalid JSON: nested deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    fail(at, describe_parse_error(original_, at, parser.result.Code()));
  }
  std::size_t end = start + stream.Tell();
  // In-situ parsing unescapes strings over the text, so count lines on the
  // pristine copy.
  line_ += static_cast<std::size_t>(
      std::count(original_.begin() + static_cast<std::ptrdiff_t>(start),
                 original_.begin() + static_cast<std::ptrdiff_t>(end), '\n'));
  pos_ = end;
  value.bytes = end - start;
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
