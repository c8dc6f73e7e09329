// SPDX-License-Identifier: LGPL-2.1-or-later
// The parses report_bench times, in a translation unit of their own:
// compiled beside valijson and std::regex, RapidJSON's parser was inlined less
// and measured 10-20% slower than the same parse inside kci's reader.
#pragma once

#include <string>

#include "report/json.h"

namespace kci::bench {

// Parses text in place into a RapidJSON DOM with the flags of
// src/report/stream.cpp (UTF-8 validated, one value); text is modified.
// False on a parse error.
bool raw_parse(std::string& text);

// Parses text into doc as valijson's users do: a copying DOM parse with
// RapidJSON's default flags. False on a parse error.
bool copying_parse(const std::string& text, rapidjson::Document& doc);

}  // namespace kci::bench
