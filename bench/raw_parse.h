// SPDX-License-Identifier: LGPL-2.1-or-later
// The "raw parse" baseline of report_bench, in a translation unit of its own:
// compiled beside valijson and std::regex, RapidJSON's parser was inlined less
// and measured 10-20% slower than the same parse inside kci's reader.
#pragma once

#include <string>

namespace kci::bench {

// Parses text in place into a RapidJSON DOM with the flags of
// src/report/stream.cpp (UTF-8 validated, one value); text is modified.
// False on a parse error.
bool raw_parse(std::string& text);

}  // namespace kci::bench
