// SPDX-License-Identifier: LGPL-2.1-or-later
// The seam between logic that runs programs (make, git, QEMU, ...) and the
// programs themselves. Library code takes a CommandRunner&; the real one is
// the subprocess code (util/subprocess.h), and tests hand in a
// ScriptedRunner (util/scripted_runner.h) that records every command line
// and answers with canned results, so build and boot logic is tested
// without make or QEMU.
#pragma once

#include <string>
#include <vector>

#include "util/subprocess.h"

namespace kci {

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  // As run_process: throws SpawnError if argv[0] cannot be started; a
  // non-zero exit, a timeout or a stop is in the result.
  virtual RunResult run(const std::vector<std::string>& argv, const RunOptions& options) = 0;
  // As program_exists: whether `program` is in PATH (or an executable path).
  virtual bool exists(const std::string& program) = 0;
};

// The real runner: run_process and program_exists. Stateless.
class SubprocessRunner final : public CommandRunner {
 public:
  RunResult run(const std::vector<std::string>& argv, const RunOptions& options) override;
  bool exists(const std::string& program) override;
};

// One process-wide SubprocessRunner, the default where a runner is optional.
CommandRunner& subprocess_runner();

}  // namespace kci
