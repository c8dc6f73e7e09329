// SPDX-License-Identifier: LGPL-2.1-or-later
#include "raw_parse.h"

namespace kci::bench {

bool raw_parse(std::string& text) {
  json::Document d;
  rapidjson::InsituStringStream stream(text.data());
  constexpr unsigned kFlags = rapidjson::kParseInsituFlag | rapidjson::kParseStopWhenDoneFlag |
                              rapidjson::kParseValidateEncodingFlag;
  d.ParseStream<kFlags>(stream);
  return !d.HasParseError();
}

bool copying_parse(const std::string& text, rapidjson::Document& doc) {
  doc.Parse(text.c_str(), text.size());
  return !doc.HasParseError();
}

}  // namespace kci::bench
