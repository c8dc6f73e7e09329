// SPDX-License-Identifier: LGPL-2.1-or-later
// Small text helpers shared by the log and console parsers.
#pragma once

#include <string_view>
#include <vector>

namespace kci {

// The lines of text, without their "\n" (or "\r\n"); no empty last line
// for a final newline. The views point into text.
std::vector<std::string_view> split_lines(std::string_view text);

}  // namespace kci
