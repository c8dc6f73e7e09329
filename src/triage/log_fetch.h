// SPDX-License-Identifier: LGPL-2.1-or-later
// Fetching a result's log for triage, under a FetchPolicy: file:// URLs
// (and plain paths) are read in place; http:// and https:// with the HTTP client of src/client
// under a size and a time limit, cached on disk by URL (logs do not change once published). The log
// is handed over chunk by chunk, never held whole in memory.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace kci::triage {

// A log that could not be fetched; the message names the URL and why.
class FetchError : public Error {
 public:
  using Error::Error;
};

// Where logs may come from. A log_url is written by whoever sent the report:
// without a policy it could make kci read local files or reach services
// only kci's host can reach (docs/security.md, "Log fetching").
struct FetchPolicy {
  // file:// URLs and plain paths; with file_roots, only files below one of
  // them (after resolving symbolic links and "..").
  bool files = true;
  std::vector<std::string> file_roots;
  // http(s) host names allowed (exact, or ".example.org" for its
  // subdomains); empty: any host. Redirects are checked too.
  std::vector<std::string> hosts;
  // Internal addresses (loopback, private, link-local...: see
  // client/address_policy.h) allowed beyond the public ones, as addresses
  // or CIDR networks. Every connection is checked, redirects included.
  std::vector<std::string> networks;
};

struct FetchOptions {
  std::size_t max_bytes = std::size_t{256} << 20;  // the rest of a longer log is not read
  long timeout_seconds = 60;                       // whole transfer
  std::string cache_dir;                           // "" = no cache
  FetchPolicy policy;
};

// Whether `url`'s host is one of `hosts` (see FetchPolicy::hosts).
bool host_allowed(const std::string& url, const std::vector<std::string>& hosts);

struct FetchResult {
  std::size_t bytes = 0;
  bool truncated = false;  // the log was longer than max_bytes
  bool from_cache = false;
};

using ChunkSink = std::function<void(std::string_view)>;

FetchResult fetch_log(const std::string& url, const FetchOptions& options, const ChunkSink& sink);

}  // namespace kci::triage
