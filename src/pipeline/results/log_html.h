// SPDX-License-Identifier: LGPL-2.1-or-later
// A console log as an HTML page: every line has an anchor (#L12) so a
// report can link to it, kernel failures and their traces are highlighted,
// and all text is HTML-escaped (a console can print anything).
#pragma once

#include <string>
#include <string_view>

namespace kci::pipeline {

std::string html_escape(std::string_view text);

// title goes into <title> and <h1>.
std::string console_log_html(std::string_view console, std::string_view title);

}  // namespace kci::pipeline
