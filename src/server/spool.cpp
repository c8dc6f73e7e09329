// SPDX-License-Identifier: LGPL-2.1-or-later
#include "server/spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "util/file.h"
#include "util/sha256.h"

namespace kci::server {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPrefix = "submission-";
constexpr std::string_view kSuffix = ".json";
constexpr std::string_view kTempSuffix = ".json.temp";
// A failure reason is a message, not a report: keep it small.
constexpr std::size_t kMaxReasonBytes = 64 * 1024;

std::string reason_of_errno(const std::string& what, const fs::path& path) {
  return path.string() + ": " + what + ": " + std::strerror(errno);
}

std::string file_name(const std::string& id) {
  return std::string(kPrefix) + id + std::string(kSuffix);
}

void rename_or_throw(const fs::path& from, const fs::path& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    throw FileError(reason_of_errno("cannot rename to " + to.string(), from));
  }
}

}  // namespace

const char* state_name(SubmissionState state) {
  switch (state) {
    case SubmissionState::kNotFound: return "notfound";
    case SubmissionState::kInProgress: return "inprogress";
    case SubmissionState::kReady: return "ready";
    case SubmissionState::kProcessed: return "processed";
    case SubmissionState::kFailed: return "failed";
  }
  return "notfound";
}

bool valid_submission_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  });
}

std::string new_submission_id() { return random_hex(16); }

Spool::Spool(fs::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  for (const fs::path& p : {dir_, dir_ / "archive", dir_ / "failed"}) {
    fs::create_directories(p, ec);
    if (ec) throw FileError(p.string() + ": cannot create the spool folder: " + ec.message());
  }
  dir_fd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd_ < 0) throw FileError(reason_of_errno("cannot open the spool folder", dir_));
}

Spool::~Spool() {
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

fs::path Spool::ready_path(const std::string& id) const { return dir_ / file_name(id); }

void Spool::write(const std::string& id, std::string_view body) {
  fs::path temp = dir_ / (std::string(kPrefix) + id + std::string(kTempSuffix));
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) throw FileError(reason_of_errno("cannot create", temp));
  const char* p = body.data();
  std::size_t left = body.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string why = reason_of_errno("write failed", temp);
      ::close(fd);
      ::unlink(temp.c_str());
      throw FileError(why);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  // fdatasync: the size and data are what matter; the rename below is made
  // durable by the folder's fsync.
  if (::fdatasync(fd) != 0) {
    std::string why = reason_of_errno("fdatasync failed", temp);
    ::close(fd);
    ::unlink(temp.c_str());
    throw FileError(why);
  }
  ::close(fd);
  try {
    rename_or_throw(temp, ready_path(id));
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
  if (::fsync(dir_fd_) != 0) throw FileError(reason_of_errno("fsync failed", dir_));
}

std::vector<Spool::Ready> Spool::recover() {
  std::vector<Ready> ready;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    if (!entry.is_regular_file()) continue;
    std::string name = entry.path().filename().string();
    if (!name.starts_with(kPrefix)) continue;
    if (name.ends_with(kTempSuffix)) {
      // Written but never acknowledged: the client was not told it is safe.
      std::error_code ec;
      fs::remove(entry.path(), ec);
      continue;
    }
    if (!name.ends_with(kSuffix)) continue;
    std::string id = name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
    if (!valid_submission_id(id)) continue;
    struct stat st {};
    std::chrono::system_clock::time_point written{};
    if (::stat(entry.path().c_str(), &st) == 0) {
      written = std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(
              std::chrono::seconds(st.st_mtim.tv_sec) +
              std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
    }
    ready.push_back({id, written});
  }
  std::sort(ready.begin(), ready.end(), [](const Ready& a, const Ready& b) {
    return a.written != b.written ? a.written < b.written : a.id < b.id;
  });
  return ready;
}

std::string Spool::read(const std::string& id) const { return read_file(ready_path(id)); }

void Spool::archive(const std::string& id) {
  rename_or_throw(ready_path(id), dir_ / "archive" / file_name(id));
}

void Spool::fail(const std::string& id, const std::string& reason) {
  fs::path failed = dir_ / "failed" / file_name(id);
  // The reason goes first: a failed submission without one would read as
  // "failed for no reason" after a crash between the two steps.
  write_file_atomic((dir_ / "failed" / (std::string(kPrefix) + id + ".reason")).string(),
                    reason.substr(0, kMaxReasonBytes));
  rename_or_throw(ready_path(id), failed);
}

SubmissionState Spool::state(const std::string& id, std::string* reason) const {
  std::error_code ec;
  if (fs::exists(dir_ / (std::string(kPrefix) + id + std::string(kTempSuffix)), ec)) {
    return SubmissionState::kInProgress;
  }
  if (fs::exists(ready_path(id), ec)) return SubmissionState::kReady;
  if (fs::exists(dir_ / "archive" / file_name(id), ec)) return SubmissionState::kProcessed;
  if (fs::exists(dir_ / "failed" / file_name(id), ec)) {
    if (reason) {
      try {
        *reason = read_file((dir_ / "failed" / (std::string(kPrefix) + id + ".reason")).string(),
                            kMaxReasonBytes);
      } catch (const FileError&) {
        *reason = "unknown reason";
      }
    }
    return SubmissionState::kFailed;
  }
  return SubmissionState::kNotFound;
}

}  // namespace kci::server
