// SPDX-License-Identifier: LGPL-2.1-or-later
#include "server/worker_service.h"

#include <cctype>
#include <optional>

#include "ingest/loader.h"
#include "orchestrator/node_store.h"
#include "orchestrator/orchestrator.h"
#include "orchestrator/wire.h"
#include "report/json.h"
#include "server/submission.h"
#include "store/sql.h"
#include "store/store.h"
#include "util/error.h"

namespace kci::server {

using namespace kci::orchestrator;

namespace {

WorkerAnswer error(int status, const std::string& message) {
  return {status, answer_json("0", "error", message)};
}

// The request body as an object with a valid worker name; throws
// InvalidInputError naming the member.
json::Document request(const std::string& body, std::string& worker) {
  json::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    throw InvalidInputError("the body is not a JSON object");
  }
  auto it = doc.FindMember("worker");
  if (it == doc.MemberEnd() || !it->value.IsString()) {
    throw InvalidInputError("/worker: missing (the worker's name)");
  }
  worker = std::string(json::str(it->value));
  bool ok = !worker.empty() && worker.size() <= 64;
  for (char c : worker) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      ok = false;
    }
  }
  if (!ok) throw InvalidInputError("/worker: 1 to 64 letters, digits, '-', '_' or '.'");
  return doc;
}

std::int64_t node_id(const json::Document& doc) {
  auto it = doc.FindMember("node");
  if (it == doc.MemberEnd() || !it->value.IsInt64() || it->value.GetInt64() <= 0) {
    throw InvalidInputError("/node: missing (the claimed node's id)");
  }
  return it->value.GetInt64();
}

std::string owner_of(const std::string& token_id, const std::string& worker) {
  return "worker:" + token_id + ":" + worker;
}

}  // namespace

struct WorkerService::Impl {
  Impl(const store::DatabaseSpec& database, WorkerServiceOptions o, ingest::ChangeBus* bus)
      : options(o),
        sql(store::SqlConnection::open(database)),
        store(store::open_store(database)),
        loader(*store, bus) {
    NodeStore::migrate(*sql);
    nodes.emplace(*sql);
  }
  WorkerServiceOptions options;
  std::unique_ptr<store::SqlConnection> sql;
  std::unique_ptr<store::Store> store;
  ingest::Loader loader;
  std::optional<NodeStore> nodes;
};

WorkerService::WorkerService(const store::DatabaseSpec& database, WorkerServiceOptions options,
                             ingest::ChangeBus* bus)
    : impl_(std::make_unique<Impl>(database, options, bus)) {}

WorkerService::~WorkerService() = default;

WorkerAnswer WorkerService::claim(const std::string& token_id, const std::string& body) {
  std::string worker;
  json::Document req;
  std::vector<NodeKind> kinds = {NodeKind::kKbuild, NodeKind::kJob};
  try {
    req = request(body, worker);
    auto it = req.FindMember("kinds");
    if (it != req.MemberEnd()) {
      if (!it->value.IsArray()) throw InvalidInputError("/kinds: expected an array");
      kinds.clear();
      for (const auto& k : it->value.GetArray()) {
        if (!k.IsString()) throw InvalidInputError("/kinds: expected kind names");
        NodeKind kind = parse_kind(json::str(k));
        if (kind != NodeKind::kKbuild && kind != NodeKind::kJob) {
          throw InvalidInputError("/kinds: a worker runs kbuild and job nodes");
        }
        kinds.push_back(kind);
      }
    }
  } catch (const InvalidInputError& e) {
    return error(400, e.what());
  }
  std::lock_guard lock(mutex_);
  NodeStore& nodes = *impl_->nodes;
  // Claims whose lease ran out (a worker that died) go back first.
  nodes.reclaim(impl_->options.max_retries);
  std::optional<Node> node =
      nodes.claim(kinds, owner_of(token_id, worker), impl_->options.lease_seconds);
  json::Document out;
  out.SetObject();
  auto& a = out.GetAllocator();
  json::Value n, p;
  if (node) {
    node_to_json(*node, n, a);
    std::optional<Node> parent = nodes.get(node->parent);
    if (parent) node_to_json(*parent, p, a);
  }
  bool idle = !node && nodes.pending({NodeKind::kKbuild, NodeKind::kJob}) == 0 &&
              nodes.cursor("scheduler") == nodes.last_event();
  out.AddMember("node", n, a);
  out.AddMember("parent", p, a);
  out.AddMember("lease_seconds", impl_->options.lease_seconds, a);
  out.AddMember("idle", idle, a);
  return {200, json::write(out)};
}

WorkerAnswer WorkerService::heartbeat(const std::string& token_id, const std::string& body) {
  std::string worker;
  std::int64_t id = 0;
  try {
    json::Document req = request(body, worker);
    id = node_id(req);
  } catch (const InvalidInputError& e) {
    return error(400, e.what());
  }
  std::lock_guard lock(mutex_);
  if (!impl_->nodes->heartbeat(id, owner_of(token_id, worker), impl_->options.lease_seconds)) {
    return error(409, "node " + std::to_string(id) + " is not claimed by " + worker +
                          " any more (its lease expired)");
  }
  return {200, R"({"ok":true})"};
}

WorkerAnswer WorkerService::complete(const std::string& token_id, const std::string& body,
                                     const std::function<bool(const std::string&)>& may_write) {
  std::string worker;
  std::int64_t id = 0;
  Outcome outcome;
  try {
    json::Document req = request(body, worker);
    id = node_id(req);
    auto it = req.FindMember("outcome");
    if (it == req.MemberEnd()) throw InvalidInputError("/outcome: missing");
    // The report is checked as a submission is: valid, and of the
    // token's origins only.
    auto report = it->value.FindMember("report");
    if (it->value.IsObject() && report != it->value.MemberEnd()) {
      SubmissionCheck check = check_submission(json::write(report->value), may_write);
      if (!check.ok()) {
        std::string message = "/outcome/report: " + check.message;
        for (const auto& e : check.errors) message += "; " + e.str();
        return error(check.http_status, message);
      }
    }
    outcome = outcome_from_json(it->value, "/outcome");
  } catch (const InvalidInputError& e) {
    return error(400, e.what());
  }
  std::lock_guard lock(mutex_);
  NodeStore& nodes = *impl_->nodes;
  std::string owner = owner_of(token_id, worker);
  std::optional<Node> node = nodes.get(id);
  if (!node || node->state != NodeState::kRunning || node->owner != owner) {
    return error(409, "node " + std::to_string(id) + " is not claimed by " + worker +
                          " any more (its lease expired); its outcome is not recorded");
  }
  Recorded rec = record_outcome(nodes, impl_->loader, *node, std::move(outcome), owner,
                                impl_->options.max_retries, impl_->options.retry_holdoff);
  if (!rec.recorded) return error(409, "node " + std::to_string(id) + " was taken back");
  if (!rec.load_error.empty()) {
    return error(500, "node " + std::to_string(id) +
                          " finished, its results failed to load: " + rec.load_error);
  }
  return {200, std::string(R"({"recorded":true,"retry":)") + (rec.retry ? "true" : "false") +
                   R"(,"loaded":)" + std::to_string(rec.loaded) + "}"};
}

}  // namespace kci::server
