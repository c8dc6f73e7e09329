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
    : InvalidInputError(source + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
                        what),
      source_(source),
      line_(line),
      column_(column) {}

// NUL bytes after the working copy of the text. RapidJSON's UTF-8
// validation reads a multi-byte sequence whole once it has seen its lead
// byte: a text ending in a 4-byte lead (0xF0..0xF4) made it read 3 bytes,
// 2 of them past the string's terminator (found by fuzz/report_fuzz).
// Padding keeps those reads inside the buffer, where they see NULs, which
// no sequence accepts.
constexpr std::size_t kParsePadding = 4;

JsonStreamReader::JsonStreamReader(std::string text, std::string source, bool seq)
    : text_(std::move(text)), source_(std::move(source)), seq_(seq) {
  work_.reserve(text_.size() + kParsePadding);
  work_.append(text_).append(kParsePadding, '\0');
}

void JsonStreamReader::skip_whitespace() {
  while (pos_ < text_.size()) {
    char c = text_[pos_];
    if (c == '\n') {
      ++line_;
    } else if (!(c == ' ' || c == '\t' || c == '\r' || (seq_ && c == '\x1e'))) {
      break;
    }
    ++pos_;
  }
}

void JsonStreamReader::fail(std::size_t offset, const std::string& what) const {
  offset = std::min(offset, text_.size());
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text_[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  // Columns count characters (code points), not bytes, as an editor does.
  std::size_t column = 1;
  for (std::size_t i = line_start; i < offset; ++i) {
    if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++column;
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
// own stack and allocator). The parse is in place: strings stay in the
// reader's working copy of the text instead of being copied into the
// document, which makes it about 1.8x faster than a copying parse
// (docs/performance.md).
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
  // Lines inside the previous value are counted only now that another value
  // follows it: a single large report is never scanned for them.
  line_ +=
      static_cast<std::size_t>(std::count(text_.begin() + static_cast<std::ptrdiff_t>(uncounted_),
                                          text_.begin() + static_cast<std::ptrdiff_t>(pos_), '\n'));
  skip_whitespace();
  uncounted_ = pos_;
  if (pos_ >= text_.size()) return std::nullopt;
  std::size_t start = pos_;

  ParsedValue value{json::Document(), source_, index_, line_, 0};
  rapidjson::InsituStringStream stream(work_.data() + start);
  InsituValueParser parser{stream, {}};
  value.doc.Populate(parser);
  if (parser.result.IsError()) {
    std::size_t at = start + parser.result.Offset();
    // The parser reads the text as a C string, so a NUL byte looks like its
    // end, and fails there or later; a raw NUL is never valid JSON: say so
    // where it is. (Positions and lines come from the pristine text_, since
    // the in-place parse rewrites strings in work_.)
    const void* nul =
        std::memchr(text_.data() + start, '\0', std::min(at + 1, text_.size()) - start);
    if (nul != nullptr) {
      fail(static_cast<std::size_t>(static_cast<const char*>(nul) - text_.data()),
           "invalid JSON: NUL byte (strings must write it as \\u0000)");
    }
    if (parser.too_deep) {
      // Point at the bracket that opened one level too many (the parser
      // has already stepped past it).
      if (at > start) --at;
      while (at > start && text_[at] != '[' && text_[at] != '{') --at;
      fail(at, "invalid JSON: nested deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    fail(at, describe_parse_error(text_, at, parser.result.Code()));
  }
  pos_ = start + stream.Tell();
  value.bytes = pos_ - start;
  ++index_;
  return value;
}

std::vector<ParsedValue> read_all(const std::vector<std::string>& files, bool seq,
                                  std::vector<std::unique_ptr<JsonStreamReader>>& keep) {
  std::vector<std::string> names = files.empty() ? std::vector<std::string>{"-"} : files;
  std::vector<ParsedValue> values;
  for (const std::string& name : names) {
    std::string source = name == "-" ? "<stdin>" : name;
    keep.push_back(std::make_unique<JsonStreamReader>(read_input_file(name), source, seq));
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
