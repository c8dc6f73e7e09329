// SPDX-License-Identifier: LGPL-2.1-or-later
#include "web/artifacts.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace kci::web {

namespace {

constexpr off_t kMaxArtifactBytes = off_t{64} << 20;

WebResponse plain(int status, const std::string& message) {
  WebResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = message + "\n";
  return r;
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

WebResponse serve_artifact(const std::filesystem::path& root, const std::string& raw_target,
                           const std::string& rel) {
  if (root.empty()) return plain(404, "No artifact folder is served");
  std::string raw = lower(raw_target.substr(0, raw_target.find('?')));
  if (raw.find("%2f") != std::string::npos || raw.find("%5c") != std::string::npos ||
      raw.find("%00") != std::string::npos || raw.find('\\') != std::string::npos) {
    return plain(400, "Encoded slashes, backslashes and NUL bytes are not allowed in paths");
  }
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= rel.size()) {
    std::size_t slash = rel.find('/', start);
    if (slash == std::string::npos) slash = rel.size();
    std::string seg = rel.substr(start, slash - start);
    if (seg.empty() || seg == "." || seg == ".." || seg.find('\0') != std::string::npos ||
        seg.find('\\') != std::string::npos) {
      return plain(400, "The path must be a plain relative path below the artifact folder");
    }
    segments.push_back(seg);
    start = slash + 1;
  }
  if (segments.empty()) return plain(404, "No such file");

  Fd dir;
  dir.fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir.fd < 0) return plain(404, "No such file");
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    int next =
        ::openat(dir.fd, segments[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) return plain(404, "No such file");
    ::close(dir.fd);
    dir.fd = next;
  }
  Fd file;
  file.fd =
      ::openat(dir.fd, segments.back().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (file.fd < 0) return plain(404, "No such file");
  struct stat st {};
  if (::fstat(file.fd, &st) != 0 || !S_ISREG(st.st_mode)) return plain(404, "No such file");
  if (st.st_size > kMaxArtifactBytes) return plain(413, "The file is larger than 64 MiB");

  WebResponse r;
  r.body.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < r.body.size()) {
    ssize_t n = ::read(file.fd, r.body.data() + got, r.body.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  r.body.resize(got);

  std::string name = lower(segments.back());
  std::string ext = name.substr(
      std::min(name.size(), name.rfind('.') == std::string::npos ? name.size() : name.rfind('.')));
  static const char* const kText[] = {".log",    ".txt",  ".json", ".yaml", ".yml", ".sh",
                                      ".config", ".ktap", ".tap",  ".cfg",  ".csv", ""};
  if (ext == ".html" || ext == ".htm") {
    // HTML logs kci wrote: shown as HTML, but in a sandbox without scripts
    // or anything loaded from elsewhere.
    r.content_type = "text/html; charset=utf-8";
    r.headers.emplace_back("Content-Security-Policy",
                           "sandbox; default-src 'none'; style-src 'unsafe-inline'");
  } else if (std::find(std::begin(kText), std::end(kText), ext) != std::end(kText) ||
             name == "config" || name.starts_with("config")) {
    r.content_type = "text/plain; charset=utf-8";
  } else {
    r.content_type = "application/octet-stream";
    r.headers.emplace_back("Content-Disposition", "attachment");
  }
  return r;
}

}  // namespace kci::web
