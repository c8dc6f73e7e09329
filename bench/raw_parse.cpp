// SPDX-License-Identifier: LGPL-2.1-or-later
#include "raw_parse.h"

#include "report/json.h"

namespace kci::bench {

bool raw_parse(std::string& text) {
  json::Document d;
  rapidjson::InsituStringStream stream(text.data());
  constexpr unsigned kFlags = rapidjson::kParseInsituFlag | rapidjson::kParseStopWhenDoneFlag |
                              rapidjson::kParseValidateEncodingFlag;
  d.ParseStream<kFlags>(stream);
  return !d.HasParseError();
}

}  // namespace kci::bench
