// SPDX-License-Identifier: LGPL-2.1-or-later
// Small text helpers shared by the parsers, the URL makers and the script
// writers: the project's one split_lines, one percent-encoder and one shell
// quoting.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kci {

enum class LineEnd {
  kStripCr,  // "a\r\n" gives "a": text files written on any system
  kKeepCr,   // "a\r\n" gives "a\r": a serial console, shown as it came
};

// The lines of text, without their "\n" (and, by default, a "\r" before
// it); no empty last line for a final newline. The views point into text.
std::vector<std::string_view> split_lines(std::string_view text,
                                          LineEnd line_end = LineEnd::kStripCr);

// text with every byte other than ASCII letters, digits and the characters
// of `keep` written as %XX (upper-case hex), as URLs need.
std::string percent_encode(std::string_view text, std::string_view keep);

// The inverse: every "%XX" (two hex digits, either case) becomes its byte;
// anything else, a lone or malformed "%" included, is kept as is.
std::string percent_decode(std::string_view text);

// A word for a POSIX shell: as is when it holds only characters no shell
// treats specially (letters, digits, "-_./=:,+@%"), otherwise in single
// quotes with embedded quotes written '\''.
std::string shell_quote(std::string_view word);

}  // namespace kci
