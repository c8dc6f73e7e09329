// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/results/log_html.h"

#include <set>

#include "pipeline/results/console.h"

namespace kci::pipeline {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Other control characters would make the page invalid.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') {
          out += "&#xFFFD;";
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

std::string console_log_html(std::string_view console, std::string_view title) {
  std::set<std::size_t> error_lines;
  std::set<std::size_t> first_lines;
  for (const KernelIssue& issue : find_kernel_issues(console)) {
    first_lines.insert(issue.first_line);
    for (std::size_t i = 0; i < issue.lines.size(); ++i) error_lines.insert(issue.first_line + i);
  }
  std::string out;
  out.reserve(console.size() * 2 + 1024);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>";
  out += html_escape(title);
  out +=
      "</title>\n<style>\n"
      "body{font-family:sans-serif;margin:1em}\n"
      "pre{font-family:monospace;line-height:1.3}\n"
      "a.n{color:#999;text-decoration:none;display:inline-block;width:5em;user-select:none}\n"
      "span.error{background:#fdd;color:#900;font-weight:bold}\n"
      "span.trace{background:#fee;color:#900}\n"
      "span.marker{color:#060}\n"
      "</style>\n</head>\n<body>\n<h1>";
  out += html_escape(title);
  out += "</h1>\n";
  if (!first_lines.empty()) {
    out += "<p>Kernel errors:";
    for (std::size_t line : first_lines) {
      std::string n = std::to_string(line);
      out += " <a href=\"#L" + n + "\">line " + n + "</a>";
    }
    out += "</p>\n";
  }
  out += "<pre>\n";
  std::size_t number = 0;
  std::size_t start = 0;
  while (start < console.size()) {
    std::size_t end = console.find('\n', start);
    if (end == std::string_view::npos) end = console.size();
    std::string_view line = console.substr(start, end - start);
    ++number;
    std::string n = std::to_string(number);
    out += "<a class=\"n\" id=\"L" + n + "\" href=\"#L" + n + "\">" + n + "</a>";
    const char* cls = first_lines.count(number)     ? "error"
                      : error_lines.count(number)   ? "trace"
                      : line.substr(0, 4) == "KCI-" ? "marker"
                                                    : nullptr;
    if (cls) out += std::string("<span class=\"") + cls + "\">";
    out += html_escape(line);
    if (cls) out += "</span>";
    out += "\n";
    start = end + 1;
  }
  out += "</pre>\n</body>\n</html>\n";
  return out;
}

}  // namespace kci::pipeline
