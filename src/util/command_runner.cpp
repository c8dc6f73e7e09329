// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/command_runner.h"

namespace kci {

RunResult SubprocessRunner::run(const std::vector<std::string>& argv, const RunOptions& options) {
  return run_process(argv, options);
}

bool SubprocessRunner::exists(const std::string& program) { return program_exists(program); }

CommandRunner& subprocess_runner() {
  static SubprocessRunner runner;
  return runner;
}

}  // namespace kci
