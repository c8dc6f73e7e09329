// SPDX-License-Identifier: LGPL-2.1-or-later
#include "store/timestamp.h"

#include "store/store.h"
#include "util/time.h"

namespace kci::store {

static_assert(kTimestampBufferSize >= kRfc3339BufferSize);

std::string normalize_timestamp(std::string_view t) {
  char buf[kTimestampBufferSize];
  return std::string(buf, normalize_timestamp(t, buf));
}

std::size_t normalize_timestamp(std::string_view t, char* buf) {
  std::optional<UtcMicros> parsed = parse_rfc3339_micros(t);
  if (!parsed) throw StoreError("not an RFC 3339 date-time: \"" + std::string(t) + "\"");
  return format_rfc3339(*parsed, buf);
}

std::string now_timestamp() { return now_rfc3339(); }

}  // namespace kci::store
