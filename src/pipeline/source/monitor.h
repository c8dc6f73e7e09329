// SPDX-License-Identifier: LGPL-2.1-or-later
// kci monitor: following the configured (tree, branch) pairs as KernelCI's
// trigger does. For each one that is due (its build config's frequency has
// passed since the last poll), the branch head is looked up with git
// ls-remote; a head not seen before is fetched into a bare mirror under the
// state directory and reported as a KCIDB checkout.
//
// State (DIR/monitor-state.json, written atomically after each branch):
//   {"branches": {"<tree>\t<branch>": {"last_poll": RFC 3339,
//                                     "last_head": "<sha1>"}}}
// Mirrors: DIR/mirrors/<tree>.git, one per tree, the branch fetched as
// refs/heads/<branch>.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/config/checkout_id.h"
#include "pipeline/config/config.h"
#include "pipeline/source/kcidb_checkout.h"
#include "report/json.h"
#include "util/time.h"

namespace kci::pipeline {

struct MonitorOptions {
  std::string state_dir;
  std::optional<std::string> tree;    // only this tree
  std::optional<std::string> branch;  // only this branch
  // Progress lines ("mainline/master: new head abc..."), e.g. to stderr.
  std::function<void(const std::string&)> progress;
};

struct MonitorPassResult {
  std::vector<report::Checkout> checkouts;  // one per new head, in config order
  std::size_t polled = 0;                   // branches looked up
  std::size_t not_due = 0;                  // skipped for their frequency
  std::vector<std::string> errors;          // branches that failed (and why)
};

// One pass over every (tree, branch) of the configuration; each new
// checkout is also handed to on_checkout as soon as it is known (so a long
// pass streams its output). Never throws for one branch's failure: it is
// recorded in errors and the pass goes on.
MonitorPassResult monitor_pass(const PipelineConfig& config, const MonitorOptions& options,
                               const std::function<void(const report::Checkout&)>& on_checkout,
                               SystemTime now);

}  // namespace kci::pipeline
