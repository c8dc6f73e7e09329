// SPDX-License-Identifier: LGPL-2.1-or-later
// RFC 3339 date-times in the store's one canonical form,
// "YYYY-MM-DDTHH:MM:SS.ffffff+00:00" (UTC, microseconds; what kcidb's
// PostgreSQL driver returns), so that SQLite can order them as text and
// both drivers dump the same strings.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kci::store {

// Normalises an RFC 3339 date-time (any offset, 'T'/'t'/' ' separator, any
// number of fraction digits: truncated to microseconds) to UTC in the
// canonical form. Throws StoreError for text that is not a date-time.
std::string normalize_timestamp(std::string_view text);

// The same into a caller's buffer of at least kTimestampBufferSize chars
// (no allocation, for bulk loads); returns the length written (no NUL).
inline constexpr std::size_t kTimestampBufferSize = 48;
std::size_t normalize_timestamp(std::string_view text, char* out);

// The current time in the canonical form.
std::string now_timestamp();

}  // namespace kci::store
