// SPDX-License-Identifier: LGPL-2.1-or-later
// What kcidb-io's validator (Python jsonschema Draft7Validator with its
// format checkers: rfc3339-validator for date-time, rfc3987 for uri, the
// built-in "contains @" for email) decides for the leaf keywords where
// valijson 1.0 decides differently. The differential oracle applies these
// checks itself and leaves the structural keywords to valijson, so each
// disagreement between valijson and kcidb-io can be named.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "report/json.h"

namespace kci::oracle {

// Python re.search(pattern, s) for the patterns of the KCIDB schemas: a
// JSON Schema pattern translated so std::regex (ECMAScript) matches what
// Python matches: `$` also matches before a final "\n", and `.` matches
// "\r" (ECMAScript's `.` excludes every line terminator, Python's only
// "\n").
std::string python_pattern_to_ecma(std::string_view pattern);
bool python_pattern_search(const std::string& pattern, std::string_view s);

// rfc3339_validator 0.1.4 validate_rfc3339(s.upper()), as jsonschema's
// date-time checker calls it: a leap-year-aware calendar, year 0000 and
// leap seconds (:60) rejected, and a final "\n" accepted (Python's `$`).
bool python_is_date_time(std::string_view s);

// rfc3987 1.3.8 parse(s, rule="URI"): RFC 3986 URI syntax (ASCII only, a
// scheme required), and a final "\n" accepted (Python's `$`).
bool python_is_uri(std::string_view s);

// jsonschema's email checker: "@" in s.
bool python_is_email(std::string_view s);

// len(s) of a Python str: code points, NUL included.
std::uint64_t python_length(std::string_view utf8);

// jsonschema's Draft 7 "integer" type: an int, or a float with no
// fractional part (1.0, 1e300). Booleans are not integers.
bool python_is_integer(const json::Value& v);

// Python's exact comparison of a JSON number with an integer bound
// (minimum/maximum), without losing precision on 64-bit integers.
int python_compare_number(const json::Value& v, std::int64_t bound);

}  // namespace kci::oracle
