// SPDX-License-Identifier: LGPL-2.1-or-later
// Timestamps as KCIDB writes them: RFC 3339 with a timezone. The one parser
// and the one formatter of the project (the report validator and the store
// build on them).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kci {

using SystemTime = std::chrono::system_clock::time_point;
// An instant at microsecond precision: covers years 0001-9999 and beyond
// (SystemTime's nanoseconds only cover 1678-2262).
using UtcMicros = std::chrono::sys_time<std::chrono::microseconds>;

// Parses an RFC 3339 date-time, strictly:
//   YYYY-MM-DD(T|t| )hh:mm:ss[.fraction](Z|z|+hh:mm|-hh:mm)
// with a real calendar day of year 0001-9999, hours 00-23, minutes and
// seconds 00-59 (no leap second: Python's datetime, hence kcidb, has none),
// offsets up to 23:59, fractions of any length (truncated to microseconds).
// The space separator is RFC 3339's own allowance (section 5.6, NOTE).
// nullopt if malformed. Allocation-free (used on every timestamp of a load).
std::optional<UtcMicros> parse_rfc3339_micros(std::string_view text);

// The same, as a system_clock time; nullopt also for instants outside
// SystemTime's range.
std::optional<SystemTime> parse_rfc3339(std::string_view text);

// "2026-11-24T02:23:44.123456+00:00": UTC, microseconds, as Python's
// datetime.isoformat() writes aware UTC times (what kcidb emits). Years
// outside 0000-9999 are written as printf's "%04lld" would.
std::string format_rfc3339(UtcMicros t);
std::string format_rfc3339(SystemTime t);
inline std::string now_rfc3339() { return format_rfc3339(std::chrono::system_clock::now()); }

// format_rfc3339 into a caller's buffer of at least kRfc3339BufferSize chars
// (no allocation, for bulk loads); returns the length written (no NUL).
inline constexpr std::size_t kRfc3339BufferSize = 48;
std::size_t format_rfc3339(UtcMicros t, char* out);

}  // namespace kci
