// SPDX-License-Identifier: LGPL-2.1-or-later
// A StepRunner that runs the user's command in the checked-out tree, with
// `git bisect run`'s meaning of its exit status: `kci bisect --run CMD`
// bisects anything a script can decide, with kci's checks (verify, revert),
// flaky-test handling and crash recovery around it.
//
//   0            good (PASS)
//   125          the commit cannot be tested: the step is skipped, no retry
//   1..127       bad (FAIL), 125 excepted
//   >= 128, killed by a signal, timed out, not startable:
//                an infrastructure failure (ERROR): retried, then skipped,
//                as the Bisector does for a machine's failures
//
// In a test bisection the command is the test: build() does nothing and
// test() runs the command, once per run (--runs, the endpoints' and the
// checks' runs). In a build bisection (build_only) the command is the build:
// build() runs it once per step and nothing else runs.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "bisect/bisector.h"
#include "bisect/kernel_step_runner.h"

namespace kci::bisect {

struct CommandStepOptions {
  std::string source_dir;  // the tree the Bisector checks out: the command's directory
  std::string command;     // run by /bin/sh -c
  bool build_only = false;
  // Added to the command's environment (besides KCI_BISECT_COMMIT, the
  // commit checked out, and KCI_BISECT_MODE, build or test).
  std::map<std::string, std::string> env;
  std::chrono::milliseconds timeout = std::chrono::hours(1);  // per run: ERROR after it
  // The command's output goes to stderr as it comes (kci's stdout is the
  // result), and one progress line per run.
  bool progress = true;
};

// The environment of a kernel bisection's command: KCI_BISECT_ARCH,
// KCI_BISECT_CONFIG, KCI_BISECT_TOOLCHAIN, and unless build_only
// KCI_BISECT_TEST, KCI_BISECT_PLAN, KCI_BISECT_PLATFORM (each only when
// set), so that one script can serve every configuration of --auto.
std::map<std::string, std::string> command_environment(const KernelStepOptions& step,
                                                       bool build_only);

class CommandStepRunner : public StepRunner {
 public:
  explicit CommandStepRunner(CommandStepOptions options);
  BuildOutcome build(const std::string& commit) override;
  TestOutcome test(const std::string& commit) override;
  void set_environment(const std::map<std::string, std::string>& env) override;

  // One run of the command at `commit`, as a status: PASS, FAIL, SKIP
  // (exit 125) or ERROR, a one-line detail and the seconds it took.
  struct Run {
    Status status = Status::kError;
    std::string detail;
    double seconds = 0;
  };
  Run run(const std::string& commit);

 private:
  CommandStepOptions options_;
};

}  // namespace kci::bisect
