// SPDX-License-Identifier: LGPL-2.1-or-later
#include "triage/log_fetch.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "client/address_policy.h"
#include "client/http_client.h"
#include "util/sha256.h"
#include "util/text.h"

namespace kci::triage {

namespace {

FetchResult stream_file(const std::string& path, const std::string& url,
                        const FetchOptions& options, const ChunkSink& sink) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw FetchError("cannot read log " + url + ": " + std::strerror(errno));
  FetchResult r;
  std::vector<char> buf(1 << 20);
  for (;;) {
    std::size_t want = buf.size();
    if (r.bytes + want > options.max_bytes) want = options.max_bytes - r.bytes;
    if (want == 0) {
      r.truncated = std::fgetc(f.get()) != EOF;
      break;
    }
    std::size_t n = std::fread(buf.data(), 1, want, f.get());
    if (n > 0) {
      sink(std::string_view(buf.data(), n));
      r.bytes += n;
    }
    if (n < want) {
      if (std::ferror(f.get()))
        throw FetchError("cannot read log " + url + ": " + std::strerror(errno));
      break;
    }
  }
  return r;
}

// "file:///a%20b/c.log" -> "/a b/c.log"
std::string file_url_path(const std::string& url) {
  std::string rest = url.substr(7);
  if (rest.rfind("localhost/", 0) == 0) rest = rest.substr(9);
  return percent_decode(rest);
}

// The host of an http(s) URL, lower case, without userinfo, port or [].
std::string url_host(const std::string& url) {
  std::size_t start = url.find("://");
  if (start == std::string::npos) return "";
  start += 3;
  std::size_t end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end == std::string::npos ? end : end - start);
  std::size_t at = authority.rfind('@');
  if (at != std::string::npos) authority = authority.substr(at + 1);
  std::string host;
  if (!authority.empty() && authority.front() == '[') {
    host = authority.substr(1, authority.find(']') - 1);
  } else {
    host = authority.substr(0, authority.find(':'));
  }
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return host;
}

// A local log under the policy: the resolved path must be below a root.
std::string checked_file(const std::string& path, const std::string& url,
                         const FetchPolicy& policy) {
  if (!policy.files) {
    throw FetchError("cannot read log " + url + ": local files are not allowed (only http(s))");
  }
  if (policy.file_roots.empty()) return path;
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path real = fs::canonical(path, ec);
  if (ec) throw FetchError("cannot read log " + url + ": " + ec.message());
  for (const std::string& root : policy.file_roots) {
    fs::path r = fs::canonical(root, ec);
    if (ec) continue;
    auto [end, _] = std::mismatch(r.begin(), r.end(), real.begin(), real.end());
    if (end == r.end()) return real.string();
  }
  throw FetchError("cannot read log " + url + ": not below an allowed folder");
}

}  // namespace

bool host_allowed(const std::string& url, const std::vector<std::string>& hosts) {
  if (hosts.empty()) return true;
  std::string host = url_host(url);
  if (host.empty()) return false;
  for (const std::string& h : hosts) {
    if (h.empty()) continue;
    if (h.front() == '.') {
      if (host.size() > h.size() && host.compare(host.size() - h.size(), h.size(), h) == 0) {
        return true;
      }
    } else if (host == h) {
      return true;
    }
  }
  return false;
}

FetchResult fetch_log(const std::string& url, const FetchOptions& options, const ChunkSink& sink) {
  const FetchPolicy& policy = options.policy;
  if (url.rfind("file://", 0) == 0) {
    return stream_file(checked_file(file_url_path(url), url, policy), url, options, sink);
  }
  if (url.find("://") == std::string::npos) {
    return stream_file(checked_file(url, url, policy), url, options, sink);
  }
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    throw FetchError("cannot fetch log " + url + ": only file://, http:// and https:// URLs");
  }
  if (!host_allowed(url, policy.hosts)) {
    throw FetchError("cannot fetch log " + url + ": host " + url_host(url) + " is not allowed");
  }
  client::AddressPolicy addresses(policy.networks);
  namespace fs = std::filesystem;
  fs::path dir =
      options.cache_dir.empty() ? fs::temp_directory_path() : fs::path(options.cache_dir);
  std::string key = sha256_hex(url);
  fs::path cached = dir / (key + ".log");
  if (!options.cache_dir.empty() && fs::exists(cached)) {
    FetchResult r = stream_file(cached.string(), url, options, sink);
    r.from_cache = true;
    return r;
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  fs::path tmp = dir / (key + ".part." + std::to_string(::getpid()));
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> out(std::fopen(tmp.c_str(), "wb"), &std::fclose);
  if (!out) throw FetchError("cannot fetch log " + url + ": cannot write " + tmp.string());
  client::HttpClient http;
  http.set_timeout(std::chrono::seconds(options.timeout_seconds));
  client::ConnectPolicy connect;
  connect.address_allowed = [&addresses](const std::string& a) { return addresses.allows(a); };
  if (!policy.hosts.empty()) {
    connect.redirect_allowed = [&policy](const std::string& u) {
      return host_allowed(u, policy.hosts);
    };
  }
  http.set_connect_policy(std::move(connect));
  client::DownloadResult d = http.download(url, options.max_bytes, [&out](std::string_view chunk) {
    return std::fwrite(chunk.data(), 1, chunk.size(), out.get()) == chunk.size();
  });
  bool written = std::fclose(out.release()) == 0;
  if (!d.ok() || !written) {
    fs::remove(tmp, ec);
    throw FetchError("cannot fetch log " + url + ": " +
                     (d.ok() ? "cannot write " + tmp.string() : d.error));
  }
  if (!options.cache_dir.empty() && !d.truncated) {
    fs::rename(tmp, cached, ec);
    FetchResult r = stream_file((ec ? tmp : cached).string(), url, options, sink);
    if (ec) fs::remove(tmp, ec);
    return r;
  }
  FetchResult r = stream_file(tmp.string(), url, options, sink);
  r.truncated = r.truncated || d.truncated;
  fs::remove(tmp, ec);
  return r;
}

}  // namespace kci::triage
