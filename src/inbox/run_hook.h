// SPDX-License-Identifier: LGPL-2.1-or-later
// kci run and mailing lists: a series that applied becomes a checkout node
// of the orchestrator, so the scheduler builds, boots and tests it like
// any checkout. The patched tree is a detached git worktree of the
// target's repository under STATE_DIR/worktrees/ (the node's source_dir),
// at the commit git am made (misc.patched_commit).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "orchestrator/node_store.h"
#include "pipeline/config/config.h"
#include "pipeline/source/monitor.h"
#include "store/database_spec.h"

namespace kci::inbox {

// Submits the checkout node of an applied series (valid true, with a
// patched_commit); nullopt for a series that did not apply. Idempotent: the
// same series gives the same node. Throws Error when git fails.
std::optional<std::int64_t> submit_series_node(orchestrator::NodeStore& nodes,
                                               const report::Checkout& checkout,
                                               const pipeline::PipelineConfig& config,
                                               const std::string& list,
                                               const std::string& state_dir);

struct RunPollResult {
  int series = 0;  // series handled (checkouts loaded, refusals recorded)
  int nodes = 0;   // checkout nodes submitted
  int errors = 0;  // lists that could not be polled (reported through progress)
};

// What `kci run` does before it runs the pipeline when the configuration
// has lists: polls each list that is due, loads each new series' checkout
// through the store's loader and submits a checkout node for each that
// applied.
RunPollResult poll_lists_for_run(const store::DatabaseSpec& spec,
                                 const pipeline::PipelineConfig& config,
                                 const std::string& state_dir,
                                 const std::function<void(const std::string&)>& progress);

}  // namespace kci::inbox
