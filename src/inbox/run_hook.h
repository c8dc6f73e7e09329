// SPDX-License-Identifier: LGPL-2.1-or-later
// kci run and mailing lists: a series that applied becomes a checkout node
// of the orchestrator, so the scheduler builds, boots and tests it like
// any checkout. The patched tree is a detached git worktree of the
// target's repository under STATE_DIR/worktrees/ (the node's source_dir),
// at the commit git am made (misc.patched_commit), or the repository itself
// (in_place). Once the series' work is done, kci run answers its thread
// (RunReplier).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "inbox/reply.h"

#include "orchestrator/node_store.h"
#include "pipeline/config/config.h"
#include "pipeline/source/monitor.h"
#include "store/database_spec.h"

namespace kci::inbox {

// Submits the checkout node of an applied series (valid true, with a
// patched_commit); nullopt for a series that did not apply. Idempotent: the
// same series gives the same node. Throws Error when git fails.
//
// in_place (kci run --incremental-builds): the node's source_dir is the
// target's repository itself, whose build checks the patched commit out
// there (as it does the base's): no worktree of the whole tree is made,
// and the series' build reuses the base's build directory incrementally.
std::optional<std::int64_t> submit_series_node(orchestrator::NodeStore& nodes,
                                               const report::Checkout& checkout,
                                               const pipeline::PipelineConfig& config,
                                               const std::string& list,
                                               const std::string& state_dir, bool in_place = false);

struct RunPollResult {
  int series = 0;  // series handled (checkouts loaded, refusals recorded)
  int nodes = 0;   // checkout nodes submitted
  int errors = 0;  // lists that could not be polled (reported through progress)
};

// What `kci run` does before it runs the pipeline when the configuration
// has lists: polls each list that is due, loads each new series' checkout
// through the store's loader and submits a checkout node for each that
// applied.
struct RunPollOptions {
  std::string state_dir = "kci-inbox";
  bool in_place = false;  // see submit_series_node
  // Lists without a frequency: the time between two polls (unset: every
  // call polls them).
  std::optional<std::chrono::seconds> default_frequency;
  std::function<void(const std::string&)> progress;
};

RunPollResult poll_lists_for_run(const store::DatabaseSpec& spec,
                                 const pipeline::PipelineConfig& config,
                                 const RunPollOptions& options);

// kci run's replies to the series it tested. A series that did not apply
// is answered at once; one that applied once its checkout node's work is
// finished: every build, job and test node below it is done, the scheduler
// has read all their transitions (nothing more will be created), and (with
// wait_for_analysis) the analysis has read every change committed by then,
// so the reply's counts and comparison with the base are final. Replies go
// through queue_replies (reply.h): rendered once, queued in the notify
// outbox under inbox-LIST (a series' same content is never queued twice,
// so a kill between queuing and the replied mark sends nothing twice), and
// delivered by whoever sends the outbox (kci run's live services).
struct RunReplyOptions {
  notify::Address from{"kci", "kci@localhost"};
  std::string domain = "localhost";
  std::optional<notify::Address> to_override;
  bool wait_for_analysis = true;
};

class RunReplier {
 public:
  explicit RunReplier(RunReplyOptions options);
  // One look at every series not answered yet; returns what was queued.
  // now: Unix seconds of the mails' Date (0: the clock).
  ReplyResult round(store::SqlConnection& sql, std::int64_t now = 0);
  // Whether the series' checkout node and everything below it are done
  // (see above, without the analysis condition).
  static bool nodes_done(store::SqlConnection& sql, const SeriesRecord& series);

 private:
  RunReplyOptions options_;
  // Series whose nodes were done: the change log's newest sequence then,
  // which the analysis must have read before the reply.
  std::map<std::string, std::uint64_t> settled_;
};

}  // namespace kci::inbox
