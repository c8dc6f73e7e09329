// SPDX-License-Identifier: LGPL-2.1-or-later
#include "inbox/run_hook.h"

#include <filesystem>

#include "analysis/follow.h"
#include "inbox/checkout.h"
#include "inbox/submit.h"
#include "inbox/watcher.h"
#include "ingest/change_log.h"
#include "ingest/loader.h"
#include "orchestrator/scheduler.h"
#include "pipeline/source/git.h"
#include "store/store.h"
#include "util/error.h"

namespace kci::inbox {

std::optional<std::int64_t> submit_series_node(orchestrator::NodeStore& nodes,
                                               const report::Checkout& checkout,
                                               const pipeline::PipelineConfig& config,
                                               const std::string& list,
                                               const std::string& state_dir, bool in_place) {
  std::string patched = pipeline::misc_string(checkout, "patched_commit");
  std::string tree = checkout.tree_name.value_or("");
  std::string branch = checkout.git_repository_branch.value_or("");
  if (!checkout.valid.value_or(false) || patched.empty()) return std::nullopt;
  std::string repo;
  if (const pipeline::MailingList* l =
          config.lists().count(list) ? &config.lists().at(list) : nullptr) {
    for (const pipeline::ListTarget& t : l->targets) {
      if (t.tree == tree && t.branch == branch) {
        repo = target_repo(t, config);
        break;
      }
    }
  }
  if (repo.empty()) throw InvalidInputError("no repository for " + tree);
  namespace fs = std::filesystem;
  std::string dir =
      in_place ? fs::absolute(repo).lexically_normal().string()
               : fs::absolute(fs::path(state_dir) / "worktrees" / patched.substr(0, 16)).string();
  if (!dir.empty() && dir.back() == '/') dir.pop_back();
  std::error_code ec;
  if (!in_place && !fs::exists(fs::path(dir) / ".git", ec)) {
    fs::create_directories(fs::path(dir).parent_path());
    pipeline::git::checked({"worktree", "add", "--quiet", "--detach", dir, patched}, repo,
                           std::chrono::seconds(1800));
  }
  std::map<std::string, std::string> data{{"source_dir", dir},
                                          {"describe", checkout.git_commit_name.value_or("")},
                                          {"kcidb_checkout", checkout.id.value_or("")},
                                          {"message_id", pipeline::message_id(checkout)},
                                          {"list", list}};
  std::string url = pipeline::repository_url(checkout);
  if (!url.empty()) data["url"] = url;
  return orchestrator::submit_checkout(nodes, tree, branch, patched, std::move(data)).first;
}

RunPollResult poll_lists_for_run(const store::DatabaseSpec& spec,
                                 const pipeline::PipelineConfig& config,
                                 const RunPollOptions& run_options) {
  const std::string& state_dir = run_options.state_dir;
  const auto& progress = run_options.progress;
  RunPollResult result;
  auto store = store::open_store(spec);
  ingest::Loader loader(*store);
  auto sql = store::SqlConnection::open(spec);
  InboxState::migrate(*sql);
  orchestrator::NodeStore::migrate(*sql);
  InboxState state(*sql);
  orchestrator::NodeStore nodes(*sql);
  PollOptions options;
  options.origin = config.origin();
  options.state_dir = state_dir;
  options.progress = progress;
  options.default_frequency = run_options.default_frequency;
  for (const auto& [list_name, list] : config.lists()) {
    // A structured binding cannot be captured by a lambda before C++20's
    // P1091 (clang 16): a reference of its own for the lambda below.
    const std::string& name = list_name;
    try {
      poll_list(list, config, state, options, [&](const HandledSeries& h) {
        ++result.series;
        if (!h.checkout) return;
        load_checkout(loader, *h.checkout);
        if (submit_series_node(nodes, *h.checkout, config, name, state_dir, run_options.in_place)) {
          ++result.nodes;
        }
      });
    } catch (const Error& e) {
      ++result.errors;
      if (progress) progress(name + ": " + e.what());
    }
  }
  return result;
}

RunReplier::RunReplier(RunReplyOptions options) : options_(std::move(options)) {}

bool RunReplier::nodes_done(store::SqlConnection& sql, const SeriesRecord& series) {
  if (series.checkout_id.empty() || sql.component_version("orchestrator") <= 0) return false;
  orchestrator::NodeStore nodes(sql);
  std::optional<std::int64_t> id;
  for (const orchestrator::Node& n : nodes.list(std::nullopt, orchestrator::NodeKind::kCheckout)) {
    if (n.get("kcidb_checkout") == series.checkout_id) {
      id = n.id;
      break;
    }
  }
  if (!id) return false;  // not submitted by kci run (kci inbox poll handled it)
  // The checkout node and every node below it: none of the builds, jobs
  // and tests may be left (the checkout node itself stays open), and the
  // scheduler must have read every transition among them (a passed build
  // whose jobs are not created yet looks done otherwise).
  long long open = 0, last_event = 0;
  sql.exec(
      "WITH RECURSIVE sub(id) AS (SELECT id FROM orch_nodes WHERE id = $1 "
      "UNION SELECT n.id FROM orch_nodes n JOIN sub ON n.parent = sub.id) "
      "SELECT (SELECT COUNT(*) FROM orch_nodes o JOIN sub ON sub.id = o.id "
      "WHERE o.state <> 'done' AND o.kind <> 'checkout'), "
      "(SELECT COALESCE(MAX(e.seq), 0) FROM orch_events e JOIN sub ON e.node = sub.id)",
      {std::to_string(*id)}, [&](const store::SqlRow& r) {
        open = r.integer(0);
        last_event = r.integer(1);
      });
  return open == 0 && nodes.cursor("scheduler") >= last_event;
}

ReplyResult RunReplier::round(store::SqlConnection& sql, std::int64_t now) {
  InboxState::migrate(sql);
  InboxState state(sql);
  notify::Outbox outbox(sql);
  ingest::ChangeLog log(sql);
  ReplyOptions o;
  o.from = options_.from;
  o.domain = options_.domain;
  o.date = now;
  o.to_override = options_.to_override;
  o.require_results = false;  // ready() says when
  o.ready = [&](const SeriesRecord& s) {
    if (s.status != "tested") return true;  // refused: nothing to wait for
    std::string key = s.list + "\n" + s.series_id;
    auto it = settled_.find(key);
    if (it == settled_.end()) {
      if (!nodes_done(sql, s)) return false;
      it = settled_.emplace(key, log.last_sequence()).first;
    }
    return !options_.wait_for_analysis || log.cursor(analysis::kAnalysisConsumer) >= it->second;
  };
  return queue_replies(sql, state, outbox, o);
}

}  // namespace kci::inbox
