// SPDX-License-Identifier: LGPL-2.1-or-later
#include "orchestrator/executor.h"

#include "util/error.h"

namespace kci::orchestrator {

report::Status kcidb_status(NodeResult result, bool infrastructure_error) {
  if (infrastructure_error) return report::Status::kError;
  switch (result) {
    case NodeResult::kPass: return report::Status::kPass;
    case NodeResult::kFail: return report::Status::kFail;
    case NodeResult::kSkip: return report::Status::kSkip;
    case NodeResult::kIncomplete: return report::Status::kError;
  }
  return report::Status::kError;
}

NodeResult node_result(report::Status status) {
  switch (status) {
    case report::Status::kPass:
    case report::Status::kDone: return NodeResult::kPass;
    case report::Status::kFail: return NodeResult::kFail;
    case report::Status::kSkip: return NodeResult::kSkip;
    case report::Status::kError:
    case report::Status::kMiss: return NodeResult::kIncomplete;
  }
  return NodeResult::kIncomplete;
}

Outcome run_executor(Executor& executor, const Node& node, const Node& parent) {
  Outcome out;
  try {
    out = executor.run(node, parent);
  } catch (const UsageError& e) {
    out = Outcome{};
    out.result = NodeResult::kIncomplete;
    out.reason = e.what();
  } catch (const InvalidInputError& e) {
    out = Outcome{};
    out.result = NodeResult::kIncomplete;
    out.reason = e.what();
  } catch (const std::exception& e) {
    out = Outcome{};
    out.infrastructure_error = true;
    out.reason = e.what();
  }
  return out;
}

}  // namespace kci::orchestrator
