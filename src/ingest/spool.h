// SPDX-License-Identifier: LGPL-2.1-or-later
// The submission spool, laid out as kcidb-ng's: a submission is written to
// DIR/submission-ID.json.temp and renamed to DIR/submission-ID.json (ready:
// acknowledged, waiting for the ingester), then moved to DIR/archive/ once
// stored or to DIR/failed/ (with a .reason file beside it) when it cannot be
// loaded.
//
// Durability comes from a journal beside them: before a submission is
// acknowledged its body is appended to DIR/journal/segment-N.log and
// fdatasynced. Concurrent submissions share one fdatasync (group commit):
// a flush costs milliseconds on real disks, so one per submission would cap
// the service at a few hundred submissions a second. At start, recover()
// rewrites from the journal every submission that is neither archived nor
// failed and whose ready file is missing or incomplete, so the per-file
// writes need no fsync of their own. A segment is deleted once every
// submission in it is archived or failed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "util/error.h"
#include "util/file.h"

namespace kci::ingest {

// The spool's file system is full (ENOSPC, EDQUOT): the submission was not
// stored. Kept apart so that the server can say so (507) and the client
// can try again later.
class SpoolFullError : public FileError {
 public:
  using FileError::FileError;
};

enum class SubmissionState { kNotFound, kInProgress, kReady, kProcessed, kFailed };
// The kcidb-ng name of a state: notfound, inprogress, ready, processed, failed.
const char* state_name(SubmissionState state);

// A submission id as the server makes them (32 lower-case hex digits) and
// as /status accepts them: 1..64 ASCII letters and digits.
bool valid_submission_id(std::string_view id);
std::string new_submission_id();

class Spool {
 public:
  // Creates DIR, DIR/archive and DIR/failed as needed. Throws FileError.
  explicit Spool(std::filesystem::path dir);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  const std::filesystem::path& dir() const { return dir_; }

  // Makes the submission durable (journal, group commit) and ready. Only
  // when this returns may the submission be acknowledged. Throws FileError
  // (SpoolFullError when the file system is full).
  void write(const std::string& id, std::string_view body);

  // For recovery at start: restores acknowledged submissions from the
  // journal, deletes unfinished .temp files (never acknowledged) and
  // returns the ready ids, oldest first, with the time they were written.
  struct Ready {
    std::string id;
    std::chrono::system_clock::time_point written;
  };
  std::vector<Ready> recover();

  std::string read(const std::string& id) const;
  void archive(const std::string& id);
  void fail(const std::string& id, const std::string& reason);

  SubmissionState state(const std::string& id, std::string* reason = nullptr) const;

 private:
  std::filesystem::path ready_path(const std::string& id) const;
  void write_ready_file(const std::string& id, std::string_view body) const;
  // Appends a record to the journal and waits until it is on disk.
  void journal(const std::string& id, std::string_view body);
  void open_segment(std::uint64_t number);  // with mutex_ held
  // A submission left the ready state: its segment may go.
  void release(const std::string& id);

  std::filesystem::path dir_;
  std::filesystem::path journal_dir_;

  std::mutex mutex_;
  std::condition_variable flushed_;
  int segment_fd_ = -1;
  std::uint64_t segment_ = 0;  // current segment number
  std::uint64_t segment_bytes_ = 0;
  std::string pending_;         // records not yet written
  std::uint64_t appended_ = 0;  // records appended (sequence numbers)
  std::uint64_t synced_ = 0;    // records on disk
  bool flushing_ = false;
  // Flushes that failed, by their last record: each waiter of the range
  // takes its error once (a later failure must not hide an earlier one
  // from a waiter that has not woken up yet).
  struct FailedFlush {
    std::uint64_t first = 0;
    std::string error;
    bool full = false;          // ran out of space
    std::uint64_t waiting = 0;  // records whose writers have not seen it yet
  };
  std::map<std::uint64_t, FailedFlush> failed_;
  bool keep_segments_ = false;
  std::unordered_map<std::string, std::uint64_t> segment_of_;  // ready ids
  std::map<std::uint64_t, std::size_t> outstanding_;           // per segment
};

}  // namespace kci::ingest
