// SPDX-License-Identifier: LGPL-2.1-or-later
#include "triage/log_fetch.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

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
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> out(std::fopen(tmp.c_str(), "wb"), &std::fclose);
  if (!out) throw FetchError("cannot fetch log " + url + ": cannot write " + tmp.string());
  client::HttpClient http;
  http.set_timeout(std::chrono::seconds(options.timeout_seconds));
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
