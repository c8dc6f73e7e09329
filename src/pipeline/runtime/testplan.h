// SPDX-License-Identifier: LGPL-2.1-or-later
// Test plans (KernelCI's test_plans): what runs in the guest after boot and
// how its console output becomes test results.
//
//   baseline  boot to a shell (baseline.login), then count kernel log
//             messages at levels emerg/alert/crit (baseline.dmesg.<level>),
//             as KernelCI's dmesg.sh does.
//   kunit     KUnit suites built into the kernel run during boot and print
//             KTAP on the console: one test per case, kunit.<suite>.<case>.
//
// The guest's init prints markers that the host reads from the console:
//   KCI-INIT: plan=<plan> ...     init started
//   KCI-LOGIN: ok                 a shell is up (the "login" of KernelCI)
//   KCI-CASE: <name> <pass|fail|skip> [<measurement> <unit>]
//   KCI-DONE                      the plan finished; the guest powers off
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "report/status.h"

namespace kci::pipeline {

using report::Status;

// One result in KCIDB terms.
struct TestOutcome {
  std::string path;  // "baseline.dmesg.emerg"
  Status status = Status::kError;
  std::optional<double> number;  // a measurement, e.g. 2 (lines)
  std::string unit;
  std::string log_excerpt;  // the lines that explain a failure
  std::string comment;      // why, in words, for ERROR/MISS
};

// How the boot ended, as the runtime saw it.
struct BootOutcome {
  bool started = true;     // the emulator/lab ran at all (false = MISS everything)
  bool timed_out = false;  // the runtime's timeout ended it
  bool stopped_on_panic = false;
  int exit_code = 0;
  std::string infrastructure_error;  // e.g. "qemu-system-x86_64 not found"
  double timeout_seconds = 0;
};

const std::vector<std::string>& known_plans();
bool is_known_plan(std::string_view plan);

// The /init script for busybox (x86_64, arm64) that runs the plan.
std::string busybox_init_script(std::string_view plan);

// C source of a static /init for architectures without a Debian busybox
// (riscv64); it prints the same markers as the busybox script.
std::string static_init_source(std::string_view plan);

// Turns the console of one boot into the plan's results. Infrastructure
// trouble never gives FAIL: only a kernel failure or a failed test does.
std::vector<TestOutcome> evaluate_plan(std::string_view plan, std::string_view console,
                                       const BootOutcome& boot);

// A KCIDB path component from any test name: characters outside
// [A-Za-z0-9_-] become "_".
std::string test_path_part(std::string_view name);

}  // namespace kci::pipeline
