// SPDX-License-Identifier: LGPL-2.1-or-later
// Running external programs (git, make, qemu, ...) with captured output, a
// timeout and no shell in between.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/error.h"

namespace kci {

// The program could not be started at all (not installed, not executable).
class SpawnError : public Error {
 public:
  using Error::Error;
};

struct RunOptions {
  std::string cwd;                                   // empty = current directory
  std::map<std::string, std::string> env;            // added to / overriding the environment
  std::vector<std::string> unset_env;                // removed from the environment
  std::optional<std::chrono::milliseconds> timeout;  // kill (SIGKILL the group) after this
  std::optional<std::string> stdin_data;             // fed to stdin; otherwise /dev/null
  bool capture_stdout = true;
  bool capture_stderr = true;
  bool merge_stderr = false;  // stderr goes into stdout (one log)
  // Called with each chunk of output as it arrives (stdout, or merged
  // output), e.g. to show progress or scan a console log live. Returning
  // false stops the program (as if timed out, but timed_out stays false and
  // stopped is set).
  std::function<bool(std::string_view chunk)> on_output;
};

struct RunResult {
  int exit_code = -1;  // exit status, or -1 if killed by a signal
  int signal = 0;      // the signal that ended it, if any
  bool timed_out = false;
  bool stopped = false;  // on_output asked to stop
  std::string out;       // captured stdout (or merged output)
  std::string err;       // captured stderr
  std::chrono::milliseconds elapsed{0};
  bool ok() const { return exit_code == 0 && !timed_out && !stopped; }
};

// Runs argv[0] (looked up in PATH) with the arguments. Throws SpawnError if
// it cannot be started; a non-zero exit is reported in the result, not
// thrown. The child gets its own process group so a timeout kills its
// children too.
RunResult run_process(const std::vector<std::string>& argv, const RunOptions& options = {});

// Runs a command and returns its stdout with trailing newlines removed;
// throws Error naming the command and its stderr when it fails.
std::string run_checked(const std::vector<std::string>& argv, const RunOptions& options = {});

// True if `program` is found in PATH (or is an executable path).
bool program_exists(const std::string& program);

}  // namespace kci
