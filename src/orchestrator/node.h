// SPDX-License-Identifier: LGPL-2.1-or-later
// Maestro's node model (KernelCI's API), as `kci run` keeps it in the store:
// a checkout is built by kbuild nodes, a passing kbuild is tested by job
// nodes, and a job holds test nodes. Each node has a state
//   running   -> someone works on it (a checkout being prepared, a build or a
//                boot in progress; owner and deadline say who and until when)
//   available -> ready: a checkout or a kbuild's artifacts can be used, a
//                kbuild or a job may be claimed by a worker
//   closing   -> finished, waiting for its children (unused by the local
//                runtime, kept for Maestro's vocabulary)
//   done      -> finished; result says how
// and a result (pass, fail, skip, incomplete; none before done).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kci::orchestrator {

enum class NodeKind { kCheckout, kKbuild, kJob, kTest };
enum class NodeState { kRunning, kAvailable, kClosing, kDone };
enum class NodeResult { kPass, kFail, kSkip, kIncomplete };

std::string_view kind_name(NodeKind kind);
std::string_view state_name(NodeState state);
std::string_view result_name(NodeResult result);
// Throw InvalidInputError for an unknown name.
NodeKind parse_kind(std::string_view name);
NodeState parse_state(std::string_view name);
NodeResult parse_result(std::string_view name);

// Milliseconds since the Unix epoch: every time of the node tables.
using Millis = std::int64_t;

struct Node {
  std::int64_t id = 0;
  NodeKind kind = NodeKind::kCheckout;
  std::int64_t parent = 0;  // 0: none (checkouts)
  std::string name;         // unique among the children of one parent
  NodeState state = NodeState::kAvailable;
  std::optional<NodeResult> result;
  // Free-form string fields, kept as a JSON object (tree, branch, commit,
  // source_dir, arch, defconfig, compiler, platform, plan, artifact_dir,
  // build_id, reason, ...).
  std::map<std::string, std::string> data;
  int timeout_seconds = 0;         // how long a claim lasts before it is taken back
  int retries = 0;                 // infrastructure failures retried so far
  std::string owner;               // who claimed it ("host:pid:worker"), "" if none
  std::optional<Millis> deadline;  // while running: when the claim expires
  std::optional<Millis> holdoff;   // while available: not claimed before
  Millis created = 0;
  Millis updated = 0;

  // data[key], or "" when missing.
  std::string get(const std::string& key) const;
};

// One entry of the node-transition log: node `node_id` entered `state`.
struct NodeEvent {
  std::int64_t seq = 0;
  std::int64_t node_id = 0;
  NodeKind kind = NodeKind::kCheckout;
  std::string name;
  NodeState state = NodeState::kAvailable;
  std::optional<NodeResult> result;
  Millis time = 0;
};

// data as a JSON object text, and back (InvalidInputError on bad text).
std::string data_to_json(const std::map<std::string, std::string>& data);
std::map<std::string, std::string> data_from_json(std::string_view text);

}  // namespace kci::orchestrator
