// SPDX-License-Identifier: LGPL-2.1-or-later
// Small text helpers shared by the parsers and the URL makers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kci {

// The lines of text, without their "\n" (or "\r\n"); no empty last line
// for a final newline. The views point into text.
std::vector<std::string_view> split_lines(std::string_view text);

// text with every byte other than ASCII letters, digits and the characters
// of `keep` written as %XX (upper-case hex), as URLs need.
std::string percent_encode(std::string_view text, std::string_view keep);

}  // namespace kci
