// SPDX-License-Identifier: LGPL-2.1-or-later
// The node tables of `kci run` in the store's database, through the one SQL
// facility (store/sql.h), on SQLite and PostgreSQL:
//   orch_nodes   one row per node (node.h); UNIQUE (parent, name) makes the
//                creation of a child idempotent, so a scheduler that handles
//                an event twice (after a crash) creates nothing twice;
//   orch_events  the node-transition log: one row per state a node enters,
//                appended in the same transaction as the change;
//   orch_cursors the position of each service (scheduler, ...) in the log,
//                moved in the same transaction as the work it did.
// Claiming is atomic: SQLite takes the write lock first (BEGIN IMMEDIATE),
// PostgreSQL skips rows another claimer holds (FOR UPDATE SKIP LOCKED).
//
// Not thread-safe: one NodeStore (and one SqlConnection) per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "orchestrator/node.h"
#include "store/sql.h"

namespace kci::orchestrator {

using Clock = std::function<Millis()>;
// The system clock in milliseconds since the epoch.
Millis system_millis();

struct NewNode {
  NodeKind kind = NodeKind::kCheckout;
  std::int64_t parent = 0;
  std::string name;
  NodeState state = NodeState::kAvailable;
  std::optional<NodeResult> result;
  std::map<std::string, std::string> data;
  int timeout_seconds = 3600;
};

// How a worker leaves a node it claimed.
struct Finish {
  NodeState state = NodeState::kDone;
  std::optional<NodeResult> result;
  std::map<std::string, std::string> data;  // merged into the node's data
  bool retry = false;                       // counts one more retry
  std::optional<Millis> holdoff;            // not claimed again before
};

struct NodeCount {
  NodeKind kind;
  NodeState state;
  std::optional<NodeResult> result;
  std::int64_t count = 0;
};

class NodeStore {
 public:
  // Applies the node tables' migrations (component "orchestrator").
  static void migrate(store::SqlConnection& sql);

  explicit NodeStore(store::SqlConnection& sql, Clock clock = system_millis);

  store::SqlConnection& sql() { return sql_; }
  Millis now() const { return clock_(); }

  // Creates the node unless its (parent, name) exists. Returns its id and
  // whether it was created (an event is appended only then). Joins the
  // caller's transaction if one is open.
  std::pair<std::int64_t, bool> create(const NewNode& node);

  std::optional<Node> get(std::int64_t id);
  std::vector<Node> children(std::int64_t parent);
  // Every node (optionally of one state / kind), by id.
  std::vector<Node> list(std::optional<NodeState> state = std::nullopt,
                         std::optional<NodeKind> kind = std::nullopt);

  // Claims the oldest available node of one of `kinds` whose holdoff has
  // passed: running, owned by `owner`, deadline now + its timeout. Atomic
  // across connections and processes.
  // lease_seconds, when given, replaces the node's timeout as the claim's
  // length (pull workers hold short leases that their heartbeats extend).
  std::optional<Node> claim(const std::vector<NodeKind>& kinds, const std::string& owner,
                            std::optional<int> lease_seconds = std::nullopt);
  // Extends the claim of a running node (a long build) by its timeout, or
  // by lease_seconds. False if the node is no longer running under owner.
  bool heartbeat(std::int64_t id, const std::string& owner,
                 std::optional<int> lease_seconds = std::nullopt);
  // Leaves a node claimed by owner. False (and nothing changed) if it is no
  // longer running under owner: the reaper took it back meanwhile.
  bool finish(std::int64_t id, const std::string& owner, const Finish& finish);

  // Running nodes whose deadline passed, and (when is_dead is given)
  // running nodes whose owner is_dead says is gone: back to available with
  // one more retry, or done/incomplete when max_retries are used up.
  // Returns how many were taken back.
  std::size_t reclaim(int max_retries,
                      const std::function<bool(const std::string& owner)>& is_dead = nullptr);

  // The transition log after seq, oldest first, at most limit entries.
  std::vector<NodeEvent> events_after(std::int64_t seq, std::size_t limit);
  std::int64_t last_event();
  // A service's position in the log (0: from the start).
  std::int64_t cursor(const std::string& service);
  void set_cursor(const std::string& service, std::int64_t seq);

  // Inside a transaction: waits until no other transaction appends to the
  // log, and keeps the others waiting until this one ends (PostgreSQL;
  // SQLite's BEGIN IMMEDIATE serialises writers already). A scheduler takes
  // it before reading its cursor, so two schedulers on one database handle
  // a batch one after the other instead of deadlocking on the children
  // both create.
  void serialize_appends();

  // Node counts by kind, state and result.
  std::vector<NodeCount> counts();
  // Nodes not done (available, running or closing) of the kinds.
  std::int64_t pending(const std::vector<NodeKind>& kinds);

 private:
  template <typename F>
  decltype(auto) atomically(F&& f);
  void append_event(std::int64_t id, NodeKind kind, const std::string& name, NodeState state,
                    const std::optional<NodeResult>& result, Millis time);
  // Moves a running node to `to` (same rules as finish, no owner check
  // when owner is empty).
  void transition(const Node& node, const Finish& finish);

  store::SqlConnection& sql_;
  Clock clock_;
};

}  // namespace kci::orchestrator
