// SPDX-License-Identifier: LGPL-2.1-or-later
// The JSON Schema "format" checks kcidb-io runs in production, written to
// accept exactly what its Python checkers accept:
//  - date-time: rfc3339-validator on the upper-cased string (RFC 3339 with
//    a mandatory timezone, seconds 00-59, real calendar days);
//  - uri: rfc3987's "URI" rule (RFC 3986 absolute URI: scheme required,
//    ASCII only, no spaces, "%" followed by two hex digits);
//  - email: jsonschema's own check, "contains @".
// Both regex-based checkers end in Python's "$", which also matches before a
// final "\n": "https://x/\n" is a valid uri to kcidb-io, and so it is here.
#pragma once

#include <cstdint>
#include <string_view>

namespace kci::report {

enum class Format : std::uint8_t { kNone, kDateTime, kUri, kEmail };

bool is_date_time(std::string_view s);
bool is_uri(std::string_view s);
bool is_email(std::string_view s);

// Dispatches on f; kNone accepts everything.
bool matches_format(Format f, std::string_view s);

// The JSON Schema name of f ("date-time", "uri", "email").
std::string_view format_name(Format f);

}  // namespace kci::report
