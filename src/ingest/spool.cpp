// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ingest/spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "util/file.h"
#include "util/sha256.h"

namespace kci::ingest {

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

// Throws the error of errno: SpoolFullError when the disk is full.
[[noreturn]] void throw_errno(const std::string& what, const fs::path& path) {
  int error = errno;
  std::string message = reason_of_errno(what, path);
  if (error == ENOSPC || error == EDQUOT) throw SpoolFullError(message);
  throw FileError(message);
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

Spool::Spool(fs::path dir) : dir_(std::move(dir)), journal_dir_(dir_ / "journal") {
  std::error_code ec;
  for (const fs::path& p : {dir_, dir_ / "archive", dir_ / "failed", journal_dir_}) {
    fs::create_directories(p, ec);
    if (ec) throw FileError(p.string() + ": cannot create the spool folder: " + ec.message());
  }
}

Spool::~Spool() {
  if (segment_fd_ >= 0) ::close(segment_fd_);
}

fs::path Spool::ready_path(const std::string& id) const { return dir_ / file_name(id); }

namespace {

constexpr std::string_view kRecordMagic = "KCI-SPOOL-1 ";
// A new segment is started past this size.
constexpr std::uint64_t kSegmentBytes = std::uint64_t{64} << 20;

fs::path segment_path(const fs::path& journal_dir, std::uint64_t number) {
  char name[64];
  std::snprintf(name, sizeof name, "segment-%012llu.log", static_cast<unsigned long long>(number));
  return journal_dir / name;
}

void write_all(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write failed", path);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw FileError(reason_of_errno("cannot open", dir));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw_errno("fsync failed", dir);
}

}  // namespace

void Spool::open_segment(std::uint64_t number) {
  if (segment_fd_ >= 0) ::close(segment_fd_);
  segment_fd_ = -1;
  if (auto old = outstanding_.find(segment_);
      old != outstanding_.end() && old->second == 0 && !keep_segments_) {
    std::error_code ec;
    fs::remove(segment_path(journal_dir_, segment_), ec);
    outstanding_.erase(old);
  }
  fs::path path = segment_path(journal_dir_, number);
  segment_fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (segment_fd_ < 0) throw_errno("cannot create", path);
  // The new name must survive a crash as much as the records in it.
  fsync_dir(journal_dir_);
  segment_ = number;
  segment_bytes_ = 0;
  outstanding_.try_emplace(number, 0);
}

void Spool::journal(const std::string& id, std::string_view body) {
  std::unique_lock lock(mutex_);
  if (segment_fd_ < 0 || segment_bytes_ > kSegmentBytes) open_segment(segment_ + 1);
  pending_ += kRecordMagic;
  pending_ += id;
  pending_ += ' ';
  pending_ += std::to_string(body.size());
  pending_ += '\n';
  pending_.append(body);
  pending_ += '\n';
  std::uint64_t mine = ++appended_;
  segment_of_[id] = segment_;
  ++outstanding_[segment_];
  // Whoever finds no flush running writes and syncs everything pending,
  // its own record and those of the threads that queued meanwhile.
  while (synced_ < mine) {
    if (flushing_) {
      flushed_.wait(lock);
      continue;
    }
    flushing_ = true;
    std::string batch = std::move(pending_);
    pending_.clear();
    std::uint64_t last = appended_;
    std::uint64_t first = synced_ + 1;
    std::string error;
    bool full = false;
    auto failed = [&](const FileError& e) {
      error = e.what();
      full = dynamic_cast<const SpoolFullError*>(&e) != nullptr;
    };
    // The records queued while a flush failed: into a new segment.
    if (segment_fd_ < 0) {
      try {
        open_segment(segment_ + 1);
      } catch (const FileError& e) {
        failed(e);
      }
    }
    int fd = segment_fd_;
    fs::path path = segment_path(journal_dir_, segment_);
    const std::uint64_t offset = segment_bytes_;  // where the batch starts
    segment_bytes_ += batch.size();
    lock.unlock();
    if (error.empty()) {
      try {
        write_all(fd, batch, path);
        if (::fdatasync(fd) != 0) throw_errno("fdatasync failed", path);
      } catch (const FileError& e) {
        failed(e);
      }
    }
    lock.lock();
    if (!error.empty()) {
      failed_[last] = FailedFlush{first, error, full, last - first + 1};
      // The segment may end in a partial record, after which recovery
      // would read nothing: cut the batch off (its writers are refused) and
      // go on in the same segment. The next flush's fdatasync makes the
      // new end durable; a crash before it leaves the cut-off bytes, which
      // recovery stops at, and nothing acknowledged is after them.
      if (fd >= 0 && fd == segment_fd_ && ::ftruncate(fd, static_cast<off_t>(offset)) == 0) {
        segment_bytes_ = offset;
      } else {
        // Cannot cut: continue in a new segment, and stop deleting
        // segments (their bookkeeping is no longer exact) until the next
        // start.
        if (segment_fd_ >= 0) ::close(segment_fd_);
        segment_fd_ = -1;
        keep_segments_ = true;
      }
    }
    synced_ = last;
    flushing_ = false;
    flushed_.notify_all();
  }
  if (auto failed = failed_.lower_bound(mine);
      failed != failed_.end() && failed->second.first <= mine) {
    std::string error = failed->second.error;
    bool full = failed->second.full;
    if (--failed->second.waiting == 0) failed_.erase(failed);
    --outstanding_[segment_of_[id]];
    segment_of_.erase(id);
    if (full) throw SpoolFullError(error);
    throw FileError(error);
  }
}

void Spool::write_ready_file(const std::string& id, std::string_view body) const {
  fs::path temp = dir_ / (std::string(kPrefix) + id + std::string(kTempSuffix));
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) throw_errno("cannot create", temp);
  try {
    write_all(fd, body, temp);
  } catch (...) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  ::close(fd);
  try {
    rename_or_throw(temp, ready_path(id));
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
}

void Spool::write(const std::string& id, std::string_view body) {
  journal(id, body);
  // No fsync: the journal holds it; recover() rewrites it after a crash.
  write_ready_file(id, body);
}

void Spool::release(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = segment_of_.find(id);
  if (it == segment_of_.end()) return;
  std::uint64_t segment = it->second;
  segment_of_.erase(it);
  if (--outstanding_[segment] == 0 && segment != segment_ && !keep_segments_) {
    outstanding_.erase(segment);
    std::error_code ec;
    fs::remove(segment_path(journal_dir_, segment), ec);
  }
}

std::vector<Spool::Ready> Spool::recover() {
  std::lock_guard journal_lock(mutex_);
  std::vector<std::pair<std::uint64_t, fs::path>> segments;
  for (const auto& entry : fs::directory_iterator(journal_dir_)) {
    std::string name = entry.path().filename().string();
    unsigned long long number = 0;
    if (std::sscanf(name.c_str(), "segment-%llu.log", &number) == 1) {
      segments.emplace_back(number, entry.path());
    }
  }
  std::sort(segments.begin(), segments.end());
  std::uint64_t last_segment = segments.empty() ? 0 : segments.back().first;
  std::error_code ec;
  for (const auto& [number, path] : segments) {
    std::string text = read_file(path.string());
    std::size_t pos = 0;
    std::size_t& count = outstanding_[number];
    // Records up to the first incomplete one (a crash mid-append: that one
    // was never acknowledged).
    while (pos < text.size()) {
      if (text.compare(pos, kRecordMagic.size(), kRecordMagic) != 0) break;
      std::size_t eol = text.find('\n', pos);
      if (eol == std::string::npos) break;
      std::string header = text.substr(pos + kRecordMagic.size(), eol - pos - kRecordMagic.size());
      std::size_t space = header.find(' ');
      if (space == std::string::npos) break;
      std::string id = header.substr(0, space);
      std::size_t length = 0;
      try {
        length = std::stoull(header.substr(space + 1));
      } catch (const std::exception&) {
        break;
      }
      if (!valid_submission_id(id) || eol + 1 + length + 1 > text.size()) break;
      std::string_view body(text.data() + eol + 1, length);
      pos = eol + 1 + length + 1;
      if (fs::exists(dir_ / "archive" / file_name(id), ec) ||
          fs::exists(dir_ / "failed" / file_name(id), ec)) {
        continue;
      }
      std::error_code size_ec;
      auto size = fs::file_size(ready_path(id), size_ec);
      if (size_ec || size != length) write_ready_file(id, body);
      segment_of_[id] = number;
      ++count;
    }
  }
  // Restored ready files need no fsync: their segment stays until the
  // ingester has stored them (the store's commit is durable).
  for (auto it = outstanding_.begin(); it != outstanding_.end();) {
    if (it->second == 0) {
      fs::remove(segment_path(journal_dir_, it->first), ec);
      it = outstanding_.erase(it);
    } else {
      ++it;
    }
  }
  segment_ = last_segment;  // the next write opens segment_ + 1

  std::vector<Ready> ready;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    if (!entry.is_regular_file()) continue;
    std::string name = entry.path().filename().string();
    if (!name.starts_with(kPrefix)) continue;
    if (name.ends_with(kTempSuffix)) {
      // A ready file being written when the process died: its journal
      // record (if it was acknowledged) was replayed above.
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
  release(id);
}

void Spool::fail(const std::string& id, const std::string& reason) {
  fs::path failed = dir_ / "failed" / file_name(id);
  // The reason goes first: a failed submission without one would read as
  // "failed for no reason" after a crash between the two steps.
  write_file_atomic((dir_ / "failed" / (std::string(kPrefix) + id + ".reason")).string(),
                    reason.substr(0, kMaxReasonBytes));
  rename_or_throw(ready_path(id), failed);
  release(id);
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

}  // namespace kci::ingest
