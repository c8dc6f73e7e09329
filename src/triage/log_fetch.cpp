// SPDX-License-Identifier: LGPL-2.1-or-later
#include "triage/log_fetch.h"

#include <unistd.h>

#include <curl/curl.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

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
  std::string out;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '%' && i + 2 < rest.size() &&
        std::isxdigit(static_cast<unsigned char>(rest[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(rest[i + 2]))) {
      out += static_cast<char>(std::stoi(rest.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += rest[i];
    }
  }
  return out;
}

struct Download {
  std::FILE* out = nullptr;
  std::size_t bytes = 0;
  std::size_t max = 0;
  bool truncated = false;
};

std::size_t on_data(char* data, std::size_t size, std::size_t n, void* ctx) {
  auto* d = static_cast<Download*>(ctx);
  std::size_t len = size * n;
  if (d->bytes + len > d->max) {
    len = d->max - d->bytes;
    d->truncated = true;
  }
  if (len > 0 && std::fwrite(data, 1, len, d->out) != len) return 0;
  d->bytes += len;
  return d->truncated ? 0 : size * n;  // 0 stops the transfer
}

}  // namespace

FetchResult fetch_log(const std::string& url, const FetchOptions& options, const ChunkSink& sink) {
  if (url.rfind("file://", 0) == 0) return stream_file(file_url_path(url), url, options, sink);
  if (url.find("://") == std::string::npos) return stream_file(url, url, options, sink);
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    throw FetchError("cannot fetch log " + url + ": only file://, http:// and https:// URLs");
  }
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
  Download d;
  d.max = options.max_bytes;
  d.out = std::fopen(tmp.c_str(), "wb");
  if (!d.out) throw FetchError("cannot fetch log " + url + ": cannot write " + tmp.string());
  CURL* curl = curl_easy_init();
  if (!curl) {
    std::fclose(d.out);
    throw FetchError("cannot fetch log " + url + ": libcurl failed to start");
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &d);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, options.timeout_seconds);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  std::fclose(d.out);
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && d.truncated)) {
    fs::remove(tmp, ec);
    throw FetchError("cannot fetch log " + url + ": " +
                     (errbuf[0] ? errbuf : curl_easy_strerror(rc)));
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
