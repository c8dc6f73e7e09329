// SPDX-License-Identifier: LGPL-2.1-or-later
// The project's one HTTP client, on libcurl: a keep-alive connection per
// HttpClient, and the KCIDB_REST target syntax. Used by `kci submit`, by
// --submit of the result producers and by LAVA job submission.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "util/error.h"

namespace kci::client {

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
  long status = 0;  // 0: no HTTP answer (connection error)
  std::string body;
  std::string error;  // libcurl's reason when status == 0
};

struct HttpRequest {
  std::string method = "GET";  // GET or POST
  std::string url;
  // Extra header lines ("Name: value"). Credentials go here (or in
  // bearer), never into the URL or a command line.
  std::vector<std::string> headers;
  std::string bearer;                 // "Authorization: Bearer <bearer>" when set
  const std::string* body = nullptr;  // POST body (not copied)
  std::string content_type = "application/json";
};

// One libcurl handle: reused connections (keep-alive) between calls.
// Not thread-safe: one per thread.
class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse send(const HttpRequest& request);
  HttpResponse get(const std::string& url, const std::string& bearer = {});
  HttpResponse post_json(const std::string& url, const std::string& body,
                         const std::string& bearer = {});
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }

 private:
  void* curl_;  // CURL*
  std::chrono::milliseconds timeout_{60000};
};

}  // namespace kci::client
