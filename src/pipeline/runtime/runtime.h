// SPDX-License-Identifier: LGPL-2.1-or-later
// The Runtime seam: where a kernel build's tests run. QEMU (runtime/qemu.h)
// and LAVA (lava/lava_runtime.h) implement it now; Kubernetes and remote
// workers later. Scheduling, bisection and the orchestrator are written
// against this interface, so they are tested with a runtime that runs no
// emulator (or with QemuRuntime over a ScriptedRunner, util/scripted_runner.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pipeline/runtime/testplan.h"
#include "report/model.h"

namespace kci::pipeline {

// One test job: a build's artifacts, a test plan and a platform.
struct RuntimeJob {
  std::string artifact_dir;  // local artifacts (the QEMU runtime boots from here)
  std::string artifact_url;  // public URL of artifact_dir (LAVA fetches from here)
  std::string platform = "qemu-x86_64";
  std::string plan = "baseline";
  double timeout_seconds = 300;
  std::optional<std::string> build_id;  // default: what the artifacts say
  std::string origin = "kci";
};

// What a runtime did with a job. A synchronous runtime (QEMU) finishes it:
// finished is true, outcomes and report hold the results. A queued runtime
// (LAVA) hands it to a lab: job_ids name it there and the results arrive
// later (LAVA's callback); when it did not submit, reason says why.
struct RuntimeRun {
  bool finished = false;
  std::vector<std::string> job_ids;
  std::string reason;
  std::vector<TestOutcome> outcomes;
  report::Report report;  // the tests, when finished
};

class Runtime {
 public:
  virtual ~Runtime() = default;
  // "qemu", "lava".
  virtual std::string name() const = 0;
  // Runs (or submits) one job. Throws Error for a job it cannot take (an
  // unknown platform or plan, missing artifacts); trouble in the lab or the
  // emulator is in the result (MISS/ERROR outcomes, or reason).
  virtual RuntimeRun run(const RuntimeJob& job) = 0;
};

}  // namespace kci::pipeline
