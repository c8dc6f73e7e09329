// SPDX-License-Identifier: LGPL-2.1-or-later
#include "client/http_client.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <exception>

namespace kci::client {

namespace {

// libcurl's global state is initialised once, before any thread uses it.
struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};
void ensure_curl_global() { static CurlGlobal global; }

// Answers larger than this are cut (the protocol's answers are small; the
// read API's can be large).
constexpr std::size_t kMaxAnswerBytes = std::size_t{1} << 30;

std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
  auto* out = static_cast<std::string*>(user);
  std::size_t n = size * count;
  if (out->size() + n > kMaxAnswerBytes) return 0;  // makes libcurl fail the transfer
  out->append(data, n);
  return n;
}

struct DownloadState {
  void* curl = nullptr;               // CURL*, for the status of the answer being read
  bool skip_redirect_bodies = false;  // following redirects by hand: 3xx bodies are not the log
  const BodySink* sink = nullptr;
  std::size_t max = 0;
  DownloadResult* result = nullptr;
  bool sink_refused = false;
  std::exception_ptr failure;  // thrown by the sink, rethrown after libcurl returns
};

std::size_t deliver(char* data, std::size_t size, std::size_t count, void* user) {
  auto* d = static_cast<DownloadState*>(user);
  std::size_t n = size * count;
  if (d->skip_redirect_bodies) {
    long status = 0;
    curl_easy_getinfo(static_cast<CURL*>(d->curl), CURLINFO_RESPONSE_CODE, &status);
    if (status >= 300 && status < 400) return n;
  }
  std::size_t len = n;
  if (d->result->bytes + len > d->max) {
    len = d->max - d->result->bytes;
    d->result->truncated = true;
  }
  try {
    if (len > 0 && !(*d->sink)(std::string_view(data, len))) {
      d->sink_refused = true;
      return 0;
    }
  } catch (...) {
    d->failure = std::current_exception();
    return 0;
  }
  d->result->bytes += len;
  return d->result->truncated ? 0 : n;  // 0 stops the transfer at the limit
}

struct SocketGate {
  const ConnectPolicy* policy = nullptr;
  std::string* refused = nullptr;
};

// CURLOPT_OPENSOCKETFUNCTION: the address is checked before the socket
// exists, for every connection libcurl makes.
curl_socket_t open_checked_socket(void* user, curlsocktype, curl_sockaddr* address) {
  auto* gate = static_cast<SocketGate*>(user);
  char text[INET6_ADDRSTRLEN] = {0};
  bool known = false;
  if (address->family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&address->addr);
    known = ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text) != nullptr;
  } else if (address->family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&address->addr);
    known = ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text) != nullptr;
  }
  if (!known || !gate->policy->address_allowed(text)) {
    if (gate->refused) *gate->refused = known ? text : "an address of another family";
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype, address->protocol);
}

}  // namespace

bool is_loopback_host(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.starts_with("127.");
}

RestTarget parse_rest_target(const std::string& url) {
  std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    throw UsageError("URL " + std::string("must look like https://TOKEN@HOST[:PORT]"));
  }
  std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    throw UsageError("URL scheme " + scheme + " is not supported (http or https)");
  }
  std::string rest = url.substr(scheme_end + 3);
  std::size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.pop_back();
  RestTarget target;
  std::size_t at = authority.rfind('@');
  if (at != std::string::npos) {
    target.token = authority.substr(0, at);
    authority = authority.substr(at + 1);
  }
  if (authority.empty()) throw UsageError("the URL has no host");
  std::string host = authority;
  if (host.front() == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else if (std::size_t colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  if (scheme == "http" && !is_loopback_host(host)) {
    throw UsageError("plain http is allowed only to a loopback address (" + host +
                     " is not): the token would travel in clear; use https");
  }
  target.base_url = scheme + "://" + authority + path;
  return target;
}

HttpClient::HttpClient() {
  ensure_curl_global();
  curl_ = curl_easy_init();
  if (!curl_) throw Error("cannot initialise libcurl");
}

HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

HttpResponse HttpClient::get(const std::string& url, const std::string& bearer) {
  HttpRequest request;
  request.url = url;
  request.bearer = bearer;
  return send(request);
}

HttpResponse HttpClient::post_json(const std::string& url, const std::string& body,
                                   const std::string& bearer) {
  HttpRequest request;
  request.method = "POST";
  request.url = url;
  request.bearer = bearer;
  request.body = &body;
  return send(request);
}

HttpResponse HttpClient::send(const HttpRequest& request) {
  CURL* curl = static_cast<CURL*>(curl_);
  HttpResponse response;
  curl_easy_reset(curl);  // keeps the connection cache: keep-alive survives
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  // Only the protocols the URL syntax promises: no file:// or others.
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  std::string refused;
  apply_policy(curl, &refused);
  curl_slist* headers = nullptr;
  std::string authorization;
  if (!request.bearer.empty()) {
    authorization = "Authorization: Bearer " + request.bearer;
    headers = curl_slist_append(headers, authorization.c_str());
  }
  for (const std::string& h : request.headers) headers = curl_slist_append(headers, h.c_str());
  std::string content_type;
  if (request.method == "POST") {
    content_type = "Content-Type: " + request.content_type;
    headers = curl_slist_append(headers, content_type.c_str());
    // No "Expect: 100-continue" round trip: the server reads every body.
    headers = curl_slist_append(headers, "Expect:");
    static const std::string kEmpty;
    const std::string& body = request.body ? *request.body : kEmpty;
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  } else if (request.method != "GET") {
    curl_slist_free_all(headers);
    throw Error("HTTP method " + request.method + " is not supported");
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    response.status = 0;
    response.error = refused.empty() ? std::string(curl_easy_strerror(rc))
                                     : "connection to " + refused + " refused by the policy";
    return response;
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

void HttpClient::apply_policy(void* handle, std::string* refused) {
  CURL* curl = static_cast<CURL*>(handle);
  if (!policy_.address_allowed) return;
  auto gate = std::make_shared<SocketGate>();
  gate->policy = &policy_;
  gate->refused = refused;
  curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_checked_socket);
  curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, gate.get());
  gate_ = gate;
  curl_easy_setopt(curl, CURLOPT_PROXY, "");  // no proxy from the environment
}

DownloadResult HttpClient::download(const std::string& url, std::size_t max_bytes,
                                    const BodySink& sink) {
  CURL* curl = static_cast<CURL*>(curl_);
  DownloadResult result;
  DownloadState state;
  state.sink = &sink;
  state.max = max_bytes;
  state.result = &result;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_reset(curl);  // keeps the connection cache: keep-alive survives
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, deliver);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  bool manual_redirects = static_cast<bool>(policy_.redirect_allowed);
  state.curl = curl;
  state.skip_redirect_bodies = manual_redirects;
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, manual_redirects ? 0L : 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  std::string refused;
  apply_policy(curl, &refused);
  CURLcode rc = CURLE_OK;
  for (int redirects = 0;; ++redirects) {
    rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
    if (!manual_redirects || rc != CURLE_OK || result.status < 300 || result.status >= 400) break;
    char* location = nullptr;
    curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location);
    if (!location) break;  // a 3xx without Location: its body is the answer
    std::string next = location;
    if (redirects == 5) {
      result.error = "more than 5 redirects";
      return result;
    }
    if (next.rfind("http://", 0) != 0 && next.rfind("https://", 0) != 0) {
      result.error = "redirect to " + next + " refused: only http and https";
      return result;
    }
    if (!policy_.redirect_allowed(next)) {
      result.error = "redirect to " + next + " refused by the policy";
      return result;
    }
    curl_easy_setopt(curl, CURLOPT_URL, next.c_str());
  }
  if (rc != CURLE_OK && !refused.empty()) {
    // (A refused address of several, e.g. ::1 of localhost, is not an
    // error when another one answered.)
    result.error = "connection to " + refused + " refused by the policy";
    return result;
  }
  if (state.failure) std::rethrow_exception(state.failure);
  if (rc == CURLE_WRITE_ERROR && result.truncated && !state.sink_refused) return result;
  if (rc != CURLE_OK) {
    result.error = state.sink_refused ? std::string("the body could not be stored")
                   : errbuf[0]        ? std::string(errbuf)
                                      : std::string(curl_easy_strerror(rc));
  }
  return result;
}

}  // namespace kci::client
