// SPDX-License-Identifier: LGPL-2.1-or-later
// `kci run`'s engine: the scheduler (scheduler.h) on the calling thread and
// a pool of workers, each with its own database connections, that claim
// kbuild and job nodes, run them with an Executor and record the outcome:
//   - the KCIDB objects go through ingest::Loader (the one write path,
//     announced in the change log); an analysis thread reads the change log
//     from its own durable cursor ("kci-run-analysis") and runs
//     Analyzer::update on each batch of events, so analysis sees kci's own
//     results as it sees everybody's (and everything else loaded meanwhile);
//   - the node becomes done with its result, its tests become test nodes;
//   - an infrastructure failure (ERROR, MISS, an exception) puts the node
//     back to available after a holdoff, up to max_retries times, then it
//     is done/incomplete;
//   - a claim whose deadline passed, or whose owner (a local process) is
//     gone, is taken back the same way (kill -9 and restart: the
//     interrupted node runs again, nothing is scheduled twice).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ingest/change_event.h"
#include "ingest/loader.h"
#include "orchestrator/executor.h"
#include "orchestrator/node_store.h"
#include "orchestrator/scheduler.h"
#include "store/database_spec.h"

namespace kci::orchestrator {

struct OrchestratorOptions {
  store::DatabaseSpec database;  // an initialised store (kci db init)
  int workers = 1;               // 0: schedule only (pull workers run the nodes)
  int max_retries = 2;
  std::chrono::milliseconds retry_holdoff{5000};
  // How often idle workers and the scheduler look at the tables.
  std::chrono::milliseconds poll{200};
  // Stop when nothing is left to schedule or run (else run until *stop).
  bool until_idle = true;
  // Keep the analysis tables up to date from the change log.
  bool analyze = true;
  // Change-log events merged into one Analyzer::update.
  std::size_t analysis_batch = 1000;
  SchedulerOptions scheduler;
  // Progress lines (stderr in the CLI); called from several threads, one
  // line at a time.
  std::function<void(const std::string&)> progress;
  Clock clock = system_millis;
  // Owner prefix of this process's claims: "host:pid" (default).
  std::string owner;
  // Without until_idle: called on the scheduler's thread whenever the run
  // is idle (no kbuild or job node available or running, the scheduler's
  // cursor at the newest node event, the analysis caught up when analyze),
  // every `poll` while it stays idle, with run()'s stop flag (may be null).
  // While it runs nothing new is scheduled and this process's workers claim
  // nothing, so it has the run's machine, and the local runtime's source
  // trees, to itself (kci run --forever --bisect: one bisection at a time in
  // the tree the builds check out); what arrives meanwhile waits for it.
  // It should return soon after *stop becomes true. An exception ends the
  // run (run() rethrows it), as a worker's does.
  std::function<void(const std::atomic<bool>* stop)> on_idle;
};

struct RunSummary {
  std::int64_t executed = 0;   // nodes run by this process's workers
  std::int64_t retried = 0;    // of which put back for a retry
  std::int64_t reclaimed = 0;  // claims taken back (timeout, dead owner)
  std::int64_t loaded = 0;     // KCIDB objects loaded
  std::int64_t load_errors = 0;
  std::int64_t analysed = 0;  // change-log events analysed
  double seconds = 0;
  std::vector<NodeCount> counts;  // the node table at the end
};

class Orchestrator {
 public:
  // config and executor must outlive the orchestrator; executor.run is
  // called from every worker thread at once.
  Orchestrator(const pipeline::PipelineConfig& config, Executor& executor,
               OrchestratorOptions options);

  // Runs until idle (options.until_idle) or until *stop becomes true.
  RunSummary run(const std::atomic<bool>* stop = nullptr);

 private:
  struct Shared;
  void worker(int index, Shared& shared);
  void analysis_service(Shared& shared);

  const pipeline::PipelineConfig& config_;
  Executor& executor_;
  OrchestratorOptions options_;
};

// How a worker's outcome was recorded (record_outcome).
struct Recorded {
  bool recorded = false;    // false: the claim was taken back meanwhile, nothing changed
  bool retry = false;       // put back to available for another attempt
  std::int64_t loaded = 0;  // KCIDB objects loaded
  std::string load_error;   // why loading failed ("" if it did not)
};

// Records the outcome of a node `owner` claimed, as every worker does (the
// in-process pool and the pull workers' `kci serve` routes alike): an
// infrastructure error with retries left puts the node back to available
// after `holdoff`; otherwise the KCIDB objects go through `loader` (the one
// ingest door) and the node becomes done with its result and its tests as
// test nodes. Nothing is loaded when the claim is no longer owner's.
Recorded record_outcome(NodeStore& nodes, ingest::Loader& loader, const Node& node, Outcome out,
                        const std::string& owner, int max_retries,
                        std::chrono::milliseconds holdoff);

// The change-log consumer name of kci run's analysis.
inline constexpr const char* kAnalysisConsumer = "kci-run-analysis";

// One event holding the ids of every event of `events` (sorted, unique):
// what one Analyzer::update of the batch needs.
ingest::ObjectsChanged merge_events(const std::vector<ingest::ObjectsChanged>& events);

// "host:pid", this process's owner prefix.
std::string default_owner();
// Whether the local process of a claim "host:pid:..." is gone (false for
// another host's claims, which only their deadline takes back).
bool owner_is_dead(const std::string& owner, bool include_self);

// The node table in words: "kbuild: 3 done/pass, 1 running" per kind.
std::string describe_counts(const std::vector<NodeCount>& counts);

}  // namespace kci::orchestrator
