// SPDX-License-Identifier: LGPL-2.1-or-later
// The client side of the submission protocol, on libcurl (the project's HTTP
// client library): a keep-alive connection per HttpClient, the KCIDB_REST
// target syntax and submit/status with retries.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "util/error.h"

namespace kci::server {

// Where to submit: kcidb's KCIDB_REST form "https://TOKEN@HOST[:PORT]".
struct RestTarget {
  std::string base_url;  // scheme://host[:port], no trailing slash, no token
  std::string token;     // may be empty
};

// Parses a KCIDB_REST-style URL. Plain http is refused unless the host is a
// loopback address (the token would travel in clear). Throws UsageError.
RestTarget parse_rest_target(const std::string& url);
bool is_loopback_host(const std::string& host);

struct HttpResponse {
  long status = 0;     // 0: no HTTP answer (connection error)
  std::string body;
  std::string error;   // libcurl's reason when status == 0
};

// One libcurl handle: reused connections (keep-alive) between calls.
// Not thread-safe: one per thread.
class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse get(const std::string& url, const std::string& bearer = {});
  HttpResponse post_json(const std::string& url, const std::string& body,
                         const std::string& bearer = {});
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }

 private:
  HttpResponse perform(const std::string& url, const std::string* body,
                       const std::string& bearer);
  void* curl_;  // CURL*
  std::chrono::milliseconds timeout_{60000};
};

// Retries: connection errors and 5xx are retried with exponential backoff
// (initial_delay, doubling, `attempts` tries in all); 4xx never.
struct RetryPolicy {
  int attempts = 6;
  std::chrono::milliseconds initial_delay{250};
  std::chrono::milliseconds max_delay{8000};
};

HttpResponse with_retries(const RetryPolicy& policy, const std::function<HttpResponse()>& call,
                          const std::function<void(const HttpResponse&, int attempt,
                                                   std::chrono::milliseconds delay)>& on_retry = {});

}  // namespace kci::server
