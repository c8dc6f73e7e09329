// SPDX-License-Identifier: LGPL-2.1-or-later
// Fetching a result's log for triage: file:// URLs (and plain paths) are
// read in place; http:// and https:// with the HTTP client of src/client under a size and a time
// limit, cached on disk by URL (logs do not change once published). The log
// is handed over chunk by chunk, never held whole in memory.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "util/error.h"

namespace kci::triage {

// A log that could not be fetched; the message names the URL and why.
class FetchError : public Error {
 public:
  using Error::Error;
};

struct FetchOptions {
  std::size_t max_bytes = std::size_t{256} << 20;  // the rest of a longer log is not read
  long timeout_seconds = 60;                       // whole transfer
  std::string cache_dir;                           // "" = no cache
};

struct FetchResult {
  std::size_t bytes = 0;
  bool truncated = false;  // the log was longer than max_bytes
  bool from_cache = false;
};

using ChunkSink = std::function<void(std::string_view)>;

FetchResult fetch_log(const std::string& url, const FetchOptions& options, const ChunkSink& sink);

}  // namespace kci::triage
