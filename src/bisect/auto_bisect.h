// SPDX-License-Identifier: LGPL-2.1-or-later
// Automatic bisection: every active regression of a tree kci builds (not
// unstable, not a known issue) gets one bisection per (test identity, last
// pass checkout, first fail checkout), never two. The bisections live in one
// durable table of the store's database (component "bisect", SQLite or
// PostgreSQL through store/sql.h):
//
//   bisections  id, key (identity_key, last_pass_checkout, first_fail_checkout:
//               unique), regression id, state (queued, running, done,
//               failed), the request (JSON), worker, lease, attempts, times,
//               and the outcome: result status, culprit commit, culprit
//               issue id, result JSON (bisector.h result_json), error.
//
// A worker claims one queued bisection atomically (one transaction; a
// concurrent claimer of the same row changes nothing and takes the next),
// holds it under a lease (a worker killed mid-bisection leaves a row that is
// claimed again once the lease expired), runs it with the StepRunner a
// factory gives, stores the result, and loads a culprit as a KCIDB issue with
// incidents on the failing results (culprit_report.h) through
// ingest::Loader, so triage marks the regression as known.
//
// Entry point for `kci run` and `kci bisect --auto`: run_pending().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bisect/bisector.h"
#include "bisect/kernel_step_runner.h"
#include "bisect/regression_request.h"
#include "store/sql.h"
#include "store/store.h"

namespace kci::bisect {

inline constexpr const char* kComponent = "bisect";
const std::vector<store::Migration>& migrations();
// Applies the bisect migrations (idempotent).
void migrate(store::SqlConnection& sql);

struct BisectionRecord {
  std::int64_t id = 0;
  std::string identity_key, last_pass_checkout, first_fail_checkout, regression_id;
  std::string state;      // queued, running, done, failed
  BisectRequest request;  // empty when it could not be made (state failed)
  std::string worker;     // who claimed it last
  int attempts = 0;       // claims so far
  std::int64_t queued_at = 0, started_at = 0, finished_at = 0, lease_until = 0;  // epoch s
  std::string status;    // the result's status (found, ambiguous, ...); "" before
  std::string culprit;   // the culprit commit; "" none
  std::string issue_id;  // the culprit's KCIDB issue; "" none
  std::string result;    // result_json(); "" before
  std::string error;     // why it failed
};

// The bisections table. Every call is one statement or one transaction.
class BisectionTable {
 public:
  // Applies the migrations.
  explicit BisectionTable(store::SqlConnection& sql);

  // Queues the request unless its key is in the table; true when queued.
  bool queue(const BisectRequest& request, std::int64_t now);
  // Records a regression that cannot be bisected (state failed), unless its
  // key is in the table, so that it is not looked at again.
  bool record_unbisectable(const analysis::RegressionInfo& regression, const std::string& error,
                           std::int64_t now);
  bool contains(const std::string& identity_key, const std::string& last_pass_checkout,
                const std::string& first_fail_checkout);

  // Claims the oldest queued bisection (or a running one whose lease has
  // expired) for `worker` until now + lease_seconds. Atomic: two claimers
  // never get the same row. nullopt when there is none.
  std::optional<BisectionRecord> claim(const std::string& worker, std::int64_t now,
                                       std::int64_t lease_seconds);
  // Stores the outcome of a claimed bisection (state done).
  void finish(std::int64_t id, const BisectResult& result, const std::string& issue_id,
              std::int64_t now);
  // A claimed bisection that could not run (state failed).
  void fail(std::int64_t id, const std::string& error, std::int64_t now);
  // A claimed bisection interrupted by a stop (BisectInterrupted): queued
  // again, to run from the start at the next claim.
  void release(std::int64_t id);

  std::optional<BisectionRecord> get(std::int64_t id);
  // Every bisection, or those in one state, oldest first.
  std::vector<BisectionRecord> list(const std::string& state = "");

 private:
  store::SqlConnection& sql_;
};

// Makes the StepRunner of one bisection (a KernelStepRunner in production,
// a scripted one in tests).
using StepRunnerFactory = std::function<std::unique_ptr<StepRunner>(const BisectRequest&)>;
// KernelStepRunners with `base` (source, build and artifact directories,
// timeouts) and each request's build and test (step_options); each build
// configuration builds in its own persistent subdirectory of base.build_dir.
StepRunnerFactory kernel_step_runner_factory(KernelStepOptions base);

struct AutoBisectOptions {
  std::string source_dir;  // the git work tree the bisections check out
  // The trees kci builds: regressions of results of this origin, and the
  // culprit issues' origin.
  std::string origin = "kci";
  // Only these tree names (empty: every tree of the origin). One source
  // tree holds the commits of one tree: name it when kci builds several.
  std::vector<std::string> trees;
  BisectOptions bisect;  // build_only is set per request
  std::string worker;    // the claim's owner; "" = HOST:PID
  std::int64_t lease_seconds = 24 * 3600;
  int max_bisections = 0;               // 0: run until the queue is empty
  bool scan = true;                     // queue new regressions first
  bool store_culprit = true;            // load the culprit issue and incidents
  std::function<std::int64_t()> clock;  // epoch seconds; default: the system clock
};

struct QueueStats {
  int active = 0;        // active reported regressions of the origin
  int queued = 0;        // newly queued
  int already = 0;       // in the table before
  int unstable = 0;      // skipped: the test is unstable
  int known = 0;         // skipped: a known issue explains it
  int other_tree = 0;    // skipped: not one of options.trees
  int unbisectable = 0;  // recorded failed: no last pass commit, no build config...
};

struct AutoBisectStats {
  QueueStats queue;
  int ran = 0;                    // bisections run to a result
  int found = 0;                  // of which found a culprit
  int failed = 0;                 // could not run (error stored)
  int interrupted = 0;            // stopped (options.bisect.stop) and queued again
  std::vector<std::int64_t> ids;  // the bisections run, in order
  std::string describe() const;   // one line
};

using Progress = std::function<void(const std::string& line)>;

// Queues the new regressions (see the file comment for which).
QueueStats queue_regressions(store::SqlConnection& sql, store::Store& store,
                             const AutoBisectOptions& options);

// Runs one claimed bisection and stores its outcome; returns the record
// afterwards. Errors of the bisection (git, the runner) fail the record;
// errors of the database propagate. A stop (options.bisect.stop) queues
// the record again and throws BisectInterrupted.
BisectionRecord run_claimed(BisectionTable& table, store::Store& store, BisectionRecord record,
                            const StepRunnerFactory& factory, const AutoBisectOptions& options,
                            const Progress& progress = nullptr);

// The automatic bisection's one entry point: queue_regressions (when
// options.scan), then claim and run bisections until none is left (or
// options.max_bisections ran, or options.bisect.stop is set: the bisection
// running then is queued again, for the next run). `sql` is a connection to the database of
// `store`; the analysis tables must be current (run it after the analysis
// caught up). Progress lines (one per bisection started and finished) go to
// `progress`. Throws store::StoreError when the database fails.
AutoBisectStats run_pending(store::SqlConnection& sql, store::Store& store,
                            const StepRunnerFactory& factory, const AutoBisectOptions& options,
                            const Progress& progress = nullptr);

}  // namespace kci::bisect
