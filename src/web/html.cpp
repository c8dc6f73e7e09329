// SPDX-License-Identifier: LGPL-2.1-or-later
#include "web/html.h"

#include <cctype>

#include "util/text.h"

namespace kci::web {

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string html_safe_json(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    switch (c) {
      case '<': out += "\\u003c"; break;
      case '>': out += "\\u003e"; break;
      case '&': out += "\\u0026"; break;
      default: out += c;
    }
  }
  return out;
}

std::optional<std::string> safe_link(std::string_view url) {
  if (url.empty() || url.size() > 4096) return std::nullopt;
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '\\' || c == '"' || c == '\'' || c == '<' || c == '>' ||
        c == '`') {
      return std::nullopt;
    }
  }
  if (url.starts_with("//")) return std::nullopt;
  // A scheme is letters, digits, + - . before the first ':' that comes
  // before any / ? #.
  std::size_t colon = url.find(':');
  std::size_t delim = url.find_first_of("/?#");
  if (colon != std::string_view::npos && (delim == std::string_view::npos || colon < delim)) {
    std::string scheme;
    for (std::size_t i = 0; i < colon; ++i) {
      scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(url[i])));
    }
    if (scheme != "http" && scheme != "https") return std::nullopt;
    if (!url.substr(colon + 1).starts_with("//") || url.size() <= colon + 3) return std::nullopt;
  }
  return std::string(url);
}

std::string url_encode(std::string_view text) { return percent_encode(text, "-_.~"); }

}  // namespace kci::web
