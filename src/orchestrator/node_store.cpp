// SPDX-License-Identifier: LGPL-2.1-or-later
#include "orchestrator/node_store.h"

#include <chrono>

#include "store/wakeup.h"

namespace kci::orchestrator {

namespace {

using store::Driver;
using store::SqlRow;
using store::SqlValue;

const std::vector<store::Migration>& migrations() {
  static const std::vector<store::Migration> m = {
      {1, "kci run: nodes, node events, service cursors",
       "CREATE TABLE orch_nodes (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, "
       "parent BIGINT NOT NULL DEFAULT 0, name TEXT NOT NULL, state TEXT NOT NULL, result TEXT, "
       "data TEXT NOT NULL DEFAULT '{}', timeout_s INTEGER NOT NULL, retries INTEGER NOT NULL "
       "DEFAULT 0, owner TEXT, deadline BIGINT, holdoff BIGINT, created BIGINT NOT NULL, "
       "updated BIGINT NOT NULL, UNIQUE (parent, name));"
       "CREATE INDEX orch_nodes_state ON orch_nodes (state, kind, id);"
       "CREATE TABLE orch_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, node BIGINT NOT NULL, "
       "kind TEXT NOT NULL, name TEXT NOT NULL, state TEXT NOT NULL, result TEXT, "
       "time BIGINT NOT NULL);"
       "CREATE TABLE orch_cursors (service TEXT PRIMARY KEY, seq BIGINT NOT NULL)",
       "CREATE TABLE orch_nodes (id BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, "
       "parent BIGINT NOT NULL DEFAULT 0, name TEXT NOT NULL, state TEXT NOT NULL, result TEXT, "
       "data TEXT NOT NULL DEFAULT '{}', timeout_s INTEGER NOT NULL, retries INTEGER NOT NULL "
       "DEFAULT 0, owner TEXT, deadline BIGINT, holdoff BIGINT, created BIGINT NOT NULL, "
       "updated BIGINT NOT NULL, UNIQUE (parent, name));"
       "CREATE INDEX orch_nodes_state ON orch_nodes (state, kind, id);"
       "CREATE TABLE orch_events (seq BIGSERIAL PRIMARY KEY, node BIGINT NOT NULL, "
       "kind TEXT NOT NULL, name TEXT NOT NULL, state TEXT NOT NULL, result TEXT, "
       "time BIGINT NOT NULL);"
       "CREATE TABLE orch_cursors (service TEXT PRIMARY KEY, seq BIGINT NOT NULL)"},
  };
  return m;
}

constexpr const char* kColumns =
    "id, kind, parent, name, state, result, data, timeout_s, retries, owner, deadline, holdoff, "
    "created, updated";

Node read_node(const SqlRow& r) {
  Node n;
  n.id = r.integer(0);
  n.kind = parse_kind(r.text(1));
  n.parent = r.integer(2);
  n.name = std::string(r.text(3));
  n.state = parse_state(r.text(4));
  if (!r.is_null(5)) n.result = parse_result(r.text(5));
  n.data = data_from_json(r.text(6));
  n.timeout_seconds = static_cast<int>(r.integer(7));
  n.retries = static_cast<int>(r.integer(8));
  n.owner = std::string(r.text(9));
  if (!r.is_null(10)) n.deadline = r.integer(10);
  if (!r.is_null(11)) n.holdoff = r.integer(11);
  n.created = r.integer(12);
  n.updated = r.integer(13);
  return n;
}

SqlValue opt_result(const std::optional<NodeResult>& r) {
  if (!r) return std::nullopt;
  return std::string(result_name(*r));
}

SqlValue opt_int(const std::optional<Millis>& v) {
  if (!v) return std::nullopt;
  return std::to_string(*v);
}

}  // namespace

Millis system_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void NodeStore::migrate(store::SqlConnection& sql) {
  sql.apply_migrations("orchestrator", migrations());
}

NodeStore::NodeStore(store::SqlConnection& sql, Clock clock)
    : sql_(sql), clock_(std::move(clock)) {}

template <typename F>
decltype(auto) NodeStore::atomically(F&& f) {
  if (sql_.in_transaction()) return f();
  return sql_.transaction(std::forward<F>(f));
}

void NodeStore::serialize_appends() {
  if (sql_.driver() == Driver::kPostgresql) sql_.exec("SELECT pg_advisory_xact_lock(4242017)");
}

void NodeStore::append_event(std::int64_t id, NodeKind kind, const std::string& name,
                             NodeState state, const std::optional<NodeResult>& result,
                             Millis time) {
  if (sql_.driver() == Driver::kPostgresql) {
    // A BIGSERIAL is taken at insert time but seen at commit: serialising
    // the appends makes commit order the sequence order, so a reader never
    // moves its cursor past an event that commits later with a lower seq.
    serialize_appends();
  }
  sql_.exec(
      "INSERT INTO orch_events (node, kind, name, state, result, time) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      {std::to_string(id), std::string(kind_name(kind)), name, std::string(state_name(state)),
       opt_result(result), std::to_string(time)});
  // Services of other processes (schedulers, workers) wake at the commit.
  store::announce(sql_, store::kNodesChannel);
}

std::pair<std::int64_t, bool> NodeStore::create(const NewNode& node) {
  return atomically([&] {
    Millis t = now();
    std::int64_t id = 0;
    sql_.exec(
        "INSERT INTO orch_nodes (kind, parent, name, state, result, data, timeout_s, created, "
        "updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) "
        "ON CONFLICT (parent, name) DO NOTHING RETURNING id",
        {std::string(kind_name(node.kind)), std::to_string(node.parent), node.name,
         std::string(state_name(node.state)), opt_result(node.result), data_to_json(node.data),
         std::to_string(node.timeout_seconds), std::to_string(t)},
        [&](const SqlRow& r) { id = r.integer(0); });
    if (id != 0) {
      append_event(id, node.kind, node.name, node.state, node.result, t);
      return std::pair<std::int64_t, bool>(id, true);
    }
    sql_.exec("SELECT id FROM orch_nodes WHERE parent = $1 AND name = $2",
              {std::to_string(node.parent), node.name},
              [&](const SqlRow& r) { id = r.integer(0); });
    return std::pair<std::int64_t, bool>(id, false);
  });
}

std::optional<Node> NodeStore::get(std::int64_t id) {
  std::optional<Node> out;
  sql_.exec(std::string("SELECT ") + kColumns + " FROM orch_nodes WHERE id = $1",
            {std::to_string(id)}, [&](const SqlRow& r) { out = read_node(r); });
  return out;
}

std::vector<Node> NodeStore::children(std::int64_t parent) {
  std::vector<Node> out;
  sql_.exec(std::string("SELECT ") + kColumns + " FROM orch_nodes WHERE parent = $1 ORDER BY id",
            {std::to_string(parent)}, [&](const SqlRow& r) { out.push_back(read_node(r)); });
  return out;
}

std::vector<Node> NodeStore::list(std::optional<NodeState> state, std::optional<NodeKind> kind) {
  std::vector<Node> out;
  sql_.exec(std::string("SELECT ") + kColumns +
                " FROM orch_nodes WHERE (CAST($1 AS TEXT) IS NULL OR state = $1) AND (CAST($2 AS "
                "TEXT) IS NULL OR kind = $2) "
                "ORDER BY id",
            {state ? SqlValue(std::string(state_name(*state))) : std::nullopt,
             kind ? SqlValue(std::string(kind_name(*kind))) : std::nullopt},
            [&](const SqlRow& r) { out.push_back(read_node(r)); });
  return out;
}

std::optional<Node> NodeStore::claim(const std::vector<NodeKind>& kinds, const std::string& owner,
                                     std::optional<int> lease_seconds) {
  return atomically([&]() -> std::optional<Node> {
    Millis t = now();
    std::string in;
    std::vector<SqlValue> params{std::to_string(t)};
    for (NodeKind k : kinds) {
      if (!in.empty()) in += ", ";
      params.emplace_back(std::string(kind_name(k)));
      in += "$" + std::to_string(params.size());
    }
    if (in.empty()) return std::nullopt;
    std::string select = std::string("SELECT ") + kColumns +
                         " FROM orch_nodes WHERE state = 'available' AND kind IN (" + in +
                         ") AND (holdoff IS NULL OR holdoff <= $1) ORDER BY id LIMIT 1";
    // SQLite: begin() already holds the write lock (BEGIN IMMEDIATE).
    if (sql_.driver() == Driver::kPostgresql) select += " FOR UPDATE SKIP LOCKED";
    std::optional<Node> node;
    sql_.exec(select, params, [&](const SqlRow& r) { node = read_node(r); });
    if (!node) return std::nullopt;
    node->state = NodeState::kRunning;
    node->owner = owner;
    node->deadline =
        t + static_cast<Millis>(lease_seconds ? *lease_seconds : node->timeout_seconds) * 1000;
    node->holdoff.reset();
    node->updated = t;
    sql_.exec(
        "UPDATE orch_nodes SET state = 'running', owner = $2, deadline = $3, holdoff = NULL, "
        "updated = $4 WHERE id = $1",
        {std::to_string(node->id), owner, std::to_string(*node->deadline), std::to_string(t)});
    append_event(node->id, node->kind, node->name, NodeState::kRunning, std::nullopt, t);
    return node;
  });
}

bool NodeStore::heartbeat(std::int64_t id, const std::string& owner,
                          std::optional<int> lease_seconds) {
  Millis t = now();
  if (lease_seconds) {
    return sql_.exec(
               "UPDATE orch_nodes SET deadline = $3, updated = $4 "
               "WHERE id = $1 AND owner = $2 AND state = 'running'",
               {std::to_string(id), owner,
                std::to_string(t + static_cast<Millis>(*lease_seconds) * 1000),
                std::to_string(t)}) > 0;
  }
  return sql_.exec(
             "UPDATE orch_nodes SET deadline = $3 + 1000 * timeout_s, updated = $3 "
             "WHERE id = $1 AND owner = $2 AND state = 'running'",
             {std::to_string(id), owner, std::to_string(t)}) > 0;
}

void NodeStore::transition(const Node& node, const Finish& f) {
  Millis t = now();
  std::map<std::string, std::string> data = node.data;
  for (const auto& [k, v] : f.data) data[k] = v;
  int retries = node.retries + (f.retry ? 1 : 0);
  bool keep_owner = f.state == NodeState::kRunning;
  sql_.exec(
      "UPDATE orch_nodes SET state = $2, result = $3, data = $4, retries = $5, owner = $6, "
      "deadline = $7, holdoff = $8, updated = $9 WHERE id = $1",
      {std::to_string(node.id), std::string(state_name(f.state)), opt_result(f.result),
       data_to_json(data), std::to_string(retries),
       keep_owner ? SqlValue(node.owner) : std::nullopt,
       keep_owner ? opt_int(node.deadline) : std::nullopt, opt_int(f.holdoff), std::to_string(t)});
  append_event(node.id, node.kind, node.name, f.state, f.result, t);
}

bool NodeStore::finish(std::int64_t id, const std::string& owner, const Finish& f) {
  return atomically([&] {
    std::optional<Node> node;
    std::string select = std::string("SELECT ") + kColumns + " FROM orch_nodes WHERE id = $1";
    if (sql_.driver() == Driver::kPostgresql) select += " FOR UPDATE";
    sql_.exec(select, {std::to_string(id)}, [&](const SqlRow& r) { node = read_node(r); });
    if (!node || node->state != NodeState::kRunning || node->owner != owner) return false;
    transition(*node, f);
    return true;
  });
}

std::size_t NodeStore::reclaim(int max_retries,
                               const std::function<bool(const std::string& owner)>& is_dead) {
  return atomically([&] {
    Millis t = now();
    std::vector<Node> running;
    std::string select = std::string("SELECT ") + kColumns +
                         " FROM orch_nodes WHERE state = 'running' AND deadline IS NOT NULL "
                         "ORDER BY id";
    if (sql_.driver() == Driver::kPostgresql) select += " FOR UPDATE SKIP LOCKED";
    sql_.exec(select, {}, [&](const SqlRow& r) { running.push_back(read_node(r)); });
    std::size_t n = 0;
    for (const Node& node : running) {
      bool expired = node.deadline && *node.deadline <= t;
      bool dead = !expired && is_dead && is_dead(node.owner);
      if (!expired && !dead) continue;
      Finish f;
      std::string why =
          expired ? "claim by " + node.owner + " timed out" : "owner " + node.owner + " is gone";
      if (node.retries < max_retries) {
        f.state = NodeState::kAvailable;
        f.retry = true;
        f.data["last_error"] = why;
      } else {
        f.state = NodeState::kDone;
        f.result = NodeResult::kIncomplete;
        f.data["reason"] = why + " (retries used up)";
      }
      transition(node, f);
      ++n;
    }
    return n;
  });
}

std::vector<NodeEvent> NodeStore::events_after(std::int64_t seq, std::size_t limit) {
  std::vector<NodeEvent> out;
  sql_.exec(
      "SELECT seq, node, kind, name, state, result, time FROM orch_events WHERE seq > $1 "
      "ORDER BY seq LIMIT $2",
      {std::to_string(seq), std::to_string(limit)}, [&](const SqlRow& r) {
        NodeEvent e;
        e.seq = r.integer(0);
        e.node_id = r.integer(1);
        e.kind = parse_kind(r.text(2));
        e.name = std::string(r.text(3));
        e.state = parse_state(r.text(4));
        if (!r.is_null(5)) e.result = parse_result(r.text(5));
        e.time = r.integer(6);
        out.push_back(std::move(e));
      });
  return out;
}

std::int64_t NodeStore::last_event() {
  std::int64_t seq = 0;
  sql_.exec("SELECT COALESCE(MAX(seq), 0) FROM orch_events", {},
            [&](const SqlRow& r) { seq = r.integer(0); });
  return seq;
}

std::int64_t NodeStore::cursor(const std::string& service) {
  std::int64_t seq = 0;
  sql_.exec("SELECT seq FROM orch_cursors WHERE service = $1", {service},
            [&](const SqlRow& r) { seq = r.integer(0); });
  return seq;
}

void NodeStore::set_cursor(const std::string& service, std::int64_t seq) {
  sql_.exec(
      "INSERT INTO orch_cursors (service, seq) VALUES ($1, $2) "
      "ON CONFLICT (service) DO UPDATE SET seq = excluded.seq",
      {service, std::to_string(seq)});
}

std::vector<NodeCount> NodeStore::counts() {
  std::vector<NodeCount> out;
  sql_.exec(
      "SELECT kind, state, result, COUNT(*) FROM orch_nodes GROUP BY kind, state, result "
      "ORDER BY kind, state, result",
      {}, [&](const SqlRow& r) {
        NodeCount c{parse_kind(r.text(0)), parse_state(r.text(1)), std::nullopt, r.integer(3)};
        if (!r.is_null(2)) c.result = parse_result(r.text(2));
        out.push_back(c);
      });
  return out;
}

std::int64_t NodeStore::pending(const std::vector<NodeKind>& kinds) {
  std::int64_t n = 0;
  for (const NodeCount& c : counts()) {
    if (c.state == NodeState::kDone) continue;
    for (NodeKind k : kinds) {
      if (k == c.kind) n += c.count;
    }
  }
  return n;
}

}  // namespace kci::orchestrator
