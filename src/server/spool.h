// SPDX-License-Identifier: LGPL-2.1-or-later
// The submission spool, laid out as kcidb-ng's: a submission is written to
// DIR/submission-ID.json.temp, fsynced and renamed to DIR/submission-ID.json
// (ready: acknowledged, waiting for the ingester), then moved to
// DIR/archive/ once stored or to DIR/failed/ (with a .reason file beside it)
// when it cannot be loaded. The file names are the only state, so a
// restarted server resumes from the folder alone.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace kci::server {

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

  // Makes the submission durable: write, fsync, rename to ready, fsync the
  // folder. Only when this returns may the submission be acknowledged.
  void write(const std::string& id, std::string_view body);

  // For recovery at start: deletes unfinished .temp files (never
  // acknowledged) and returns the ready ids, oldest first, with the time
  // they were written.
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
  std::filesystem::path dir_;
  int dir_fd_ = -1;  // kept open to fsync the folder after each rename
};

}  // namespace kci::server
