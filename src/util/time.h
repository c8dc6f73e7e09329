// SPDX-License-Identifier: LGPL-2.1-or-later
// Timestamps as KCIDB writes them: RFC 3339 with a timezone.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kci {

using SystemTime = std::chrono::system_clock::time_point;

// "2026-11-24T02:23:44.123456+00:00": UTC, microseconds, as Python's
// datetime.isoformat() writes aware UTC times (what kcidb emits).
std::string format_rfc3339(SystemTime t);
inline std::string now_rfc3339() { return format_rfc3339(std::chrono::system_clock::now()); }

// Parses an RFC 3339 date-time with a timezone ("Z" or +hh:mm), fractions of
// any length. nullopt if malformed.
std::optional<SystemTime> parse_rfc3339(std::string_view text);

}  // namespace kci
