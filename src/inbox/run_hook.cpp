// SPDX-License-Identifier: LGPL-2.1-or-later
#include "inbox/run_hook.h"

#include <filesystem>

#include "inbox/checkout.h"
#include "inbox/submit.h"
#include "inbox/watcher.h"
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
                                               const std::string& state_dir) {
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
      fs::absolute(fs::path(state_dir) / "worktrees" / patched.substr(0, 16)).string();
  std::error_code ec;
  if (!fs::exists(fs::path(dir) / ".git", ec)) {
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
                                 const std::string& state_dir,
                                 const std::function<void(const std::string&)>& progress) {
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
  for (const auto& [name, list] : config.lists()) {
    try {
      poll_list(list, config, state, options, [&](const HandledSeries& h) {
        ++result.series;
        if (!h.checkout) return;
        load_checkout(loader, *h.checkout);
        if (submit_series_node(nodes, *h.checkout, config, name, state_dir)) ++result.nodes;
      });
    } catch (const Error& e) {
      ++result.errors;
      if (progress) progress(name + ": " + e.what());
    }
  }
  return result;
}

}  // namespace kci::inbox
