// SPDX-License-Identifier: LGPL-2.1-or-later
// The project's one HTTP client, on libcurl: a keep-alive connection per
// HttpClient, and the KCIDB_REST target syntax. Used by `kci submit`, by
// --submit of the result producers, by LAVA job submission and by triage's
// log fetcher (download()).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
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

// What download() got.
struct DownloadResult {
  long status = 0;         // the last HTTP status; 0: no HTTP answer
  std::string error;       // empty when the body was received (whole or cut at the limit)
  std::size_t bytes = 0;   // bytes handed to the sink
  bool truncated = false;  // the body was longer than max_bytes and was cut there
  bool ok() const { return error.empty(); }
};

// Receives a body chunk by chunk; false stops the transfer (an error).
using BodySink = std::function<bool(std::string_view chunk)>;

// What a client may connect to (the log fetcher's policy, docs/security.md).
struct ConnectPolicy {
  // Asked with the numeric address ("192.0.2.1", "::1") of every connection
  // before it is made, redirects included; false refuses it (no socket is
  // opened). When set, proxies from the environment are not used (the
  // proxy's address would be checked instead of the target's).
  std::function<bool(const std::string& address)> address_allowed;
  // Asked with every redirect target before it is followed; false refuses
  // it. When set, download() follows redirects itself (at most 5).
  std::function<bool(const std::string& url)> redirect_allowed;
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
  // A GET whose body goes to `sink` chunk by chunk, never held whole:
  // follows up to 5 redirects (http and https only), reads at most
  // max_bytes (a longer body is cut: truncated), and treats an HTTP status
  // of 400 or more as an error (the sink sees none of that body).
  DownloadResult download(const std::string& url, std::size_t max_bytes, const BodySink& sink);
  // The limit of a whole transfer (default 60 s).
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }
  // Applies to download() and send() from now on.
  void set_connect_policy(ConnectPolicy policy) { policy_ = std::move(policy); }

 private:
  // Sets the options of policy_ on the handle; *refused gets the address
  // of a refused connection.
  void apply_policy(void* curl, std::string* refused);

  void* curl_;  // CURL*
  std::chrono::milliseconds timeout_{60000};
  ConnectPolicy policy_;
  std::shared_ptr<void> gate_;  // the socket callback's state
};

}  // namespace kci::client
