// SPDX-License-Identifier: LGPL-2.1-or-later
#include "triage/finding.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "util/sha256.h"

namespace kci::triage {

const char* to_string(LogKind kind) { return kind == LogKind::kConsole ? "console" : "build"; }

std::string to_json_line(const Finding& f) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&w](std::string_view s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  w.StartObject();
  w.Key("kind");
  str(f.kind);
  w.Key("title");
  str(f.title);
  w.Key("line");
  w.Uint64(f.line);
  w.Key("excerpt");
  str(f.excerpt);
  w.Key("signature");
  str(f.signature);
  w.Key("corrupted");
  w.Bool(f.corrupted);
  if (!f.file.empty() || !f.message.empty()) {
    w.Key("file");
    str(f.file);
    w.Key("file_line");
    w.Uint64(f.file_line);
    w.Key("message");
    str(f.message);
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string signature_of(std::string_view key) { return sha256_hex(key).substr(0, 32); }

}  // namespace kci::triage
