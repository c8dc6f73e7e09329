// SPDX-License-Identifier: LGPL-2.1-or-later
// HTML safety helpers of the dashboard: escaping and which URLs may become
// links. Templates escape every {{value}} themselves; these are for the few
// places that build markup in C++ (the SVG plots) and for deciding links.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kci::web {

// Escapes & < > " ' for text and quoted attribute values.
std::string escape_html(std::string_view text);

// The URL if it may become a link: an absolute http:// or https:// URL, or a
// relative one (path, query or fragment) without a scheme; nullopt for
// anything else (javascript:, data:, vbscript:, file:, protocol-relative
// "//host", URLs with control characters, whitespace or backslashes, which
// browsers may reinterpret).
std::optional<std::string> safe_link(std::string_view url);

// Serialised JSON with every < > & written as \u003c \u003e \u0026: the
// same document, but no markup a browser could find in it if the JSON is
// ever sniffed as HTML or pasted into a page (the pages' JSON echoes ids and
// parameters of the request). Outside strings JSON has none of the three, so
// replacing them everywhere keeps the document valid.
std::string html_safe_json(std::string_view json);

// Percent-encodes a path segment or query value (RFC 3986 unreserved kept).
std::string url_encode(std::string_view text);

}  // namespace kci::web
