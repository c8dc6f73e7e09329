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

namespace {

std::string misc_value(const pipeline::CheckoutFields& c, const std::string& key) {
  for (const auto& [k, v] : c.misc) {
    if (k == key) return v;
  }
  return {};
}

}  // namespace

std::optional<std::int64_t> submit_series_node(orchestrator::NodeStore& nodes,
                                               const pipeline::CheckoutFields& checkout,
                                               const pipeline::PipelineConfig& config,
                                               const std::string& list,
                                               const std::string& state_dir) {
  std::string patched = misc_value(checkout, "patched_commit");
  if (!checkout.valid.value_or(false) || patched.empty()) return std::nullopt;
  std::string repo;
  if (const pipeline::MailingList* l =
          config.lists().count(list) ? &config.lists().at(list) : nullptr) {
    for (const pipeline::ListTarget& t : l->targets) {
      if (t.tree == checkout.tree_name && t.branch == checkout.branch) {
        repo = target_repo(t, config);
        break;
      }
    }
  }
  if (repo.empty()) throw InvalidInputError("no repository for " + checkout.tree_name);
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
                                          {"describe", checkout.commit_name},
                                          {"kcidb_checkout", checkout.id},
                                          {"message_id", checkout.message_id},
                                          {"list", list}};
  if (!checkout.repository_url.empty()) data["url"] = checkout.repository_url;
  return orchestrator::submit_checkout(nodes, checkout.tree_name, checkout.branch, patched,
                                       std::move(data))
      .first;
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
