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
#include "orchestrator/executor.h"
#include "orchestrator/node_store.h"
#include "orchestrator/scheduler.h"
#include "store/database_spec.h"

namespace kci::orchestrator {

struct OrchestratorOptions {
  store::DatabaseSpec database;  // an initialised store (kci db init)
  int workers = 1;
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
