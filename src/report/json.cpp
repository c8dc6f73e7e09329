// SPDX-License-Identifier: LGPL-2.1-or-later
#include "report/json.h"

#include <rapidjson/prettywriter.h>

namespace kci::json {

void append_pointer_token(std::string& path, std::string_view name) {
  path.push_back('/');
  for (char c : name) {
    if (c == '~') {
      path += "~0";
    } else if (c == '/') {
      path += "~1";
    } else {
      path.push_back(c);
    }
  }
}

void append_pointer_index(std::string& path, std::size_t index) {
  path.push_back('/');
  path += std::to_string(index);
}

namespace {

// Adapts std::string to RapidJSON's output stream concept, so the writer
// appends to the caller's buffer without an intermediate copy.
struct StringOutput {
  using Ch = char;
  std::string& out;
  void Put(char c) { out.push_back(c); }
  void Flush() {}
};

}  // namespace

void write(const Value& v, int indent, std::string& out) {
  StringOutput os{out};
  if (indent <= 0) {
    rapidjson::Writer<StringOutput> writer(os);
    v.Accept(writer);
  } else {
    rapidjson::PrettyWriter<StringOutput> writer(os);
    writer.SetIndent(' ', static_cast<unsigned>(indent));
    v.Accept(writer);
  }
}

std::string write(const Value& v, int indent) {
  std::string out;
  write(v, indent, out);
  return out;
}

}  // namespace kci::json
