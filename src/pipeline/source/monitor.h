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
#include "report/json.h"
#include "util/time.h"

namespace kci::pipeline {

// The fields of a KCIDB checkout that kci fills in. Optional ones are left
// out of the report when empty.
struct CheckoutFields {
  std::string id;
  std::string origin;
  std::string tree_name;
  std::string repository_url;  // any URL; only an https:// one is reported as such
  std::string branch;
  std::string commit;
  std::string commit_name;
  std::optional<std::string> commit_message;
  std::optional<std::vector<std::string>> commit_tags;
  std::optional<bool> branch_tip;
  std::string start_time;
  // Patched checkouts.
  std::vector<std::pair<std::string, std::string>> patchset_files;  // name, url
  std::optional<std::string> patchset_hash;
  std::string message_id;
  std::optional<bool> valid;
  std::string log_excerpt;
  // Recipients of a patch series (misc.contacts, an array: KCIDB v5 has no
  // contacts field; notify threads its reports to them).
  std::vector<std::string> contacts;
  // Extra free-form data, merged into misc.
  std::vector<std::pair<std::string, std::string>> misc;
};

// A KCIDB v5.3 checkout object. git_repository_url must be https:// in
// KCIDB v5; any other URL (file://, a local path, git://) goes to
// misc.git_repository_url instead, so that local trees still give valid
// reports. log_excerpt is cut to KCIDB's 16384 characters (keeping the end,
// where git puts the reason).
json::Value checkout_object(const CheckoutFields& fields, json::Allocator& alloc);

// A whole v5.3 report holding the checkouts.
json::Document checkout_report(const std::vector<CheckoutFields>& checkouts);

struct MonitorOptions {
  std::string state_dir;
  std::optional<std::string> tree;    // only this tree
  std::optional<std::string> branch;  // only this branch
  // Progress lines ("mainline/master: new head abc..."), e.g. to stderr.
  std::function<void(const std::string&)> progress;
};

struct MonitorPassResult {
  std::vector<CheckoutFields> checkouts;  // one per new head, in config order
  std::size_t polled = 0;                 // branches looked up
  std::size_t not_due = 0;                // skipped for their frequency
  std::vector<std::string> errors;        // branches that failed (and why)
};

// One pass over every (tree, branch) of the configuration; each new
// checkout is also handed to on_checkout as soon as it is known (so a long
// pass streams its output). Never throws for one branch's failure: it is
// recorded in errors and the pass goes on.
MonitorPassResult monitor_pass(const PipelineConfig& config, const MonitorOptions& options,
                               const std::function<void(const CheckoutFields&)>& on_checkout,
                               SystemTime now);

}  // namespace kci::pipeline
