// SPDX-License-Identifier: LGPL-2.1-or-later
// What runs a claimed node: the runtimes of `kci run` (local: kbuild and
// QEMU, local_executor.h; instant: returns at once, for tests and benches,
// instant_executor.h). An executor only does the work and says how it went;
// the worker (worker.h) records the outcome on the node and loads the KCIDB
// objects through the one ingest door.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "orchestrator/node.h"
#include "report/model.h"
#include "report/status.h"

namespace kci::orchestrator {

struct TestResult {
  std::string path;  // KCIDB test path, "baseline.login"
  NodeResult result = NodeResult::kPass;
};

struct Outcome {
  NodeResult result = NodeResult::kIncomplete;
  // The machine failed, not the kernel (ERROR, MISS, a lab or emulator
  // that did not run): retried up to the worker's max_retries.
  bool infrastructure_error = false;
  std::string reason;
  // Merged into the node's data (artifact_dir, build_id, ...).
  std::map<std::string, std::string> data;
  // The KCIDB objects of the outcome (checkout, build; tests).
  report::Report report;
  // A job's tests, created as test nodes under it.
  std::vector<TestResult> tests;
};

class Executor {
 public:
  virtual ~Executor() = default;
  virtual std::string name() const = 0;
  // Runs a kbuild or job node; parent is its parent node (the checkout of
  // a kbuild, the kbuild of a job). Throws UsageError / InvalidInputError
  // for a node it can never run (no retry), any other exception for
  // trouble worth a retry.
  virtual Outcome run(const Node& node, const Node& parent) = 0;
};

// executor.run(), its exceptions turned into outcomes: UsageError and
// InvalidInputError (a node it can never run) into incomplete, any other
// into an infrastructure error (retried).
Outcome run_executor(Executor& executor, const Node& node, const Node& parent);

// KCIDB's status of a node result.
report::Status kcidb_status(NodeResult result, bool infrastructure_error);
// A node result from KCIDB's status (ERROR and MISS: incomplete).
NodeResult node_result(report::Status status);

}  // namespace kci::orchestrator
