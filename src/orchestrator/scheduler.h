// SPDX-License-Identifier: LGPL-2.1-or-later
// The edge-triggered scheduler of `kci run`. It reads the node-transition
// log from its own durable cursor and, for each transition, creates the
// children that transition calls for, in the same transaction as the
// cursor's move:
//   a checkout entering `available` -> one kbuild node per build of the
//     build matrix of its tree and branch (pipeline/config/matrix.h: build
//     configs and `kind: kbuild` jobs with their scheduler entries and rules);
//   a kbuild entering `done` with `pass` -> one job node per scheduler entry
//     whose event the kbuild's matches (channel node, kind kbuild, its name,
//     state done, result pass), per platform of the entry, when the rules of
//     the entry and the job allow the build.
// A transition is handled once (the cursor), and even when handled again
// after a crash between the work and the cursor's commit, nothing is
// created twice: children are unique per (parent, name). No state is
// matched level-wise, so a node that stays `available` schedules nothing
// more (KernelCI's duplicate jobs, kernelci-core#2912).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "orchestrator/node_store.h"

// Only a reference is kept: the configuration's header stays out of the
// files that include this one (see platforms.h for why that matters).
namespace kci::pipeline {
class PipelineConfig;
}  // namespace kci::pipeline

namespace kci::orchestrator {

struct SchedulerOptions {
  int kbuild_timeout_seconds = 3 * 3600;
  int job_timeout_seconds = 3600;
  // How long a boot may take (RuntimeJob::timeout_seconds), below the
  // job's claim timeout.
  int boot_timeout_seconds = 600;
  // The service name of the cursor.
  std::string service = "scheduler";
  // Called with a line for each node created ("kbuild 12 x86_64 ...").
  std::function<void(const std::string&)> progress;
};

struct ScheduleStats {
  std::size_t events = 0;    // transitions read
  std::size_t created = 0;   // children created
  std::size_t existing = 0;  // children that were there already (a replay)
};

class Scheduler {
 public:
  // config must outlive the scheduler.
  Scheduler(const pipeline::PipelineConfig& config, NodeStore& nodes,
            SchedulerOptions options = {});

  // Handles the transitions after the cursor, at most `batch` per
  // transaction, until the log is read. Returns what it did.
  ScheduleStats step(std::size_t batch = 256);

  // The children a transition of `node` calls for (what step() creates).
  std::vector<NewNode> children_of(const Node& node);

 private:
  std::vector<NewNode> kbuilds_of(const Node& checkout);
  std::vector<NewNode> jobs_of(const Node& kbuild);

  const pipeline::PipelineConfig& config_;
  NodeStore& nodes_;
  SchedulerOptions options_;
};

// Creates the checkout node of a kernel source tree (available at once:
// the tree is there). data holds tree, branch, commit, describe and
// source_dir (or whatever the caller put). Returns its id and whether it
// was new.
std::pair<std::int64_t, bool> submit_checkout(NodeStore& nodes, const std::string& tree,
                                              const std::string& branch, const std::string& commit,
                                              std::map<std::string, std::string> data);

}  // namespace kci::orchestrator
