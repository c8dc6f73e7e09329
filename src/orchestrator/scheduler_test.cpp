// SPDX-License-Identifier: LGPL-2.1-or-later
// The scheduler and the orchestrator's loop with a runtime that returns at
// once (InstantExecutor) and with scripted boots: each transition schedules
// its children exactly once, a replay after a crash creates nothing, an
// interrupted node runs again, infrastructure errors are retried, and the
// results reach the store and analysis through ingest.
#include "orchestrator/scheduler.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "orchestrator/instant_executor.h"
#include "orchestrator/orchestrator.h"
#include "orchestrator/test_fixture.h"

namespace kci::orchestrator {
namespace {

using testing::DriverTest;

std::vector<std::string> names(const std::vector<Node>& nodes) {
  std::vector<std::string> out;
  for (const Node& n : nodes) out.push_back(n.name);
  std::sort(out.begin(), out.end());
  return out;
}

class SchedulerTest : public DriverTest {
 protected:
  void SetUp() override {
    DriverTest::SetUp();
    if (::testing::Test::IsSkipped()) return;
    config_ = testing::write_and_load_config(dir_.path());
  }

  std::int64_t checkout(NodeStore& nodes, const std::string& commit = "abc123") {
    return submit_checkout(nodes, "mainline", "master", commit, {{"describe", "v6.1-1-gabc123"}})
        .first;
  }

  // Runs a node as a worker would, with the result given (the nodes
  // claimed before it are put back).
  void run_as_worker(NodeStore& nodes, std::int64_t id, NodeResult result) {
    std::vector<std::int64_t> others;
    for (;;) {
      std::optional<Node> n = nodes.claim({NodeKind::kKbuild, NodeKind::kJob}, "test");
      ASSERT_TRUE(n);
      if (n->id == id) break;
      others.push_back(n->id);
    }
    Finish f;
    f.result = result;
    ASSERT_TRUE(nodes.finish(id, "test", f));
    for (std::int64_t other : others) {
      Finish back;
      back.state = NodeState::kAvailable;
      ASSERT_TRUE(nodes.finish(other, "test", back));
    }
  }

  OrchestratorOptions options(int workers = 2) {
    OrchestratorOptions o;
    o.database = spec_;
    o.workers = workers;
    o.retry_holdoff = std::chrono::milliseconds(0);
    o.poll = std::chrono::milliseconds(5);
    return o;
  }

  std::int64_t count_rows(const std::string& table) {
    std::int64_t n = 0;
    sql_->exec("SELECT COUNT(*) FROM " + table, {},
               [&](const store::SqlRow& r) { n = r.integer(0); });
    return n;
  }

  pipeline::PipelineConfig config_;
};

TEST_P(SchedulerTest, EachTransitionSchedulesItsChildrenExactlyOnce) {
  NodeStore nodes(*sql_);
  Scheduler scheduler(config_, nodes);
  std::int64_t c = checkout(nodes);
  ScheduleStats s = scheduler.step();
  EXPECT_EQ(s.events, 1u);
  EXPECT_EQ(s.created, 2u);
  std::vector<Node> kbuilds = nodes.children(c);
  EXPECT_EQ(names(kbuilds), (std::vector<std::string>{"kbuild-gcc-12-arm64", "kbuild-gcc-12-x86"}));
  const Node& arm64 = kbuilds[0].name == "kbuild-gcc-12-arm64" ? kbuilds[0] : kbuilds[1];
  const Node& x86 = kbuilds[0].name == "kbuild-gcc-12-x86" ? kbuilds[0] : kbuilds[1];
  EXPECT_EQ(x86.get("arch"), "x86_64");
  EXPECT_EQ(x86.get("toolchain"), "gcc-12");
  EXPECT_EQ(x86.get("defconfig"), "defconfig");
  EXPECT_EQ(x86.get("commit"), "abc123");
  EXPECT_EQ(arm64.get("cross_compile"), "aarch64-linux-gnu-");

  // Nothing new happened: nothing is scheduled (the checkout is still
  // available, which a level-triggered scheduler would match again).
  EXPECT_EQ(scheduler.step().created, 0u);

  // A kbuild that passes gets its boot job; its `running` and the job's
  // own transitions schedule nothing.
  run_as_worker(nodes, x86.id, NodeResult::kPass);
  s = scheduler.step();
  EXPECT_EQ(s.created, 1u);
  EXPECT_EQ(names(nodes.children(x86.id)), (std::vector<std::string>{"baseline-x86@qemu-x86_64"}));
  Node job = nodes.children(x86.id)[0];
  EXPECT_EQ(job.kind, NodeKind::kJob);
  EXPECT_EQ(job.get("plan"), "baseline");
  EXPECT_EQ(job.get("platform"), "qemu-x86_64");

  // arm64: the entry lists an x86 platform too, which cannot boot it.
  run_as_worker(nodes, arm64.id, NodeResult::kPass);
  scheduler.step();
  EXPECT_EQ(names(nodes.children(arm64.id)),
            (std::vector<std::string>{"baseline-arm64@qemu-arm64"}));

  // A replay of the whole log (a crash after the work, before the cursor
  // moved) finds every child there already.
  nodes.set_cursor("scheduler", 0);
  s = scheduler.step();
  EXPECT_EQ(s.created, 0u);
  EXPECT_EQ(s.existing, 4u);
  EXPECT_EQ(nodes.list().size(), 5u);
}

TEST_P(SchedulerTest, AFailedBuildSchedulesNoJob) {
  NodeStore nodes(*sql_);
  Scheduler scheduler(config_, nodes);
  std::int64_t c = checkout(nodes);
  scheduler.step();
  std::vector<Node> kbuilds = nodes.children(c);
  ASSERT_EQ(kbuilds.size(), 2u);
  run_as_worker(nodes, kbuilds[0].id, NodeResult::kFail);
  run_as_worker(nodes, kbuilds[1].id, NodeResult::kIncomplete);
  EXPECT_EQ(scheduler.step().created, 0u);
  EXPECT_EQ(nodes.list(std::nullopt, NodeKind::kJob).size(), 0u);
}

TEST_P(SchedulerTest, RunsUntilIdleAndReportsThroughIngest) {
  {
    NodeStore nodes(*sql_);
    checkout(nodes);
  }
  InstantExecutor executor;
  Orchestrator orchestrator(config_, executor, options());
  RunSummary summary = orchestrator.run();
  EXPECT_EQ(summary.executed, 4);  // 2 kbuilds, 2 jobs
  EXPECT_EQ(summary.retried, 0);
  EXPECT_EQ(summary.load_errors, 0);
  NodeStore nodes(*sql_);
  for (const Node& n : nodes.list()) {
    if (n.kind == NodeKind::kCheckout) continue;
    EXPECT_EQ(n.state, NodeState::kDone) << n.name;
    EXPECT_EQ(n.result, NodeResult::kPass) << n.name;
  }
  EXPECT_EQ(nodes.list(std::nullopt, NodeKind::kTest).size(), 2u);
  // KCIDB objects: one checkout, two builds, two tests, announced in the
  // change log and analysed.
  EXPECT_EQ(count_rows("checkouts"), 1);
  EXPECT_EQ(count_rows("builds"), 2);
  EXPECT_EQ(count_rows("tests"), 2);
  EXPECT_GE(count_rows("kci_changes"), 4);
  EXPECT_EQ(count_rows("analysis_results"), 4);
  // A second run finds nothing to do.
  RunSummary again = Orchestrator(config_, executor, options()).run();
  EXPECT_EQ(again.executed, 0);
  EXPECT_EQ(count_rows("builds"), 2);
}

TEST_P(SchedulerTest, InfrastructureErrorsAreRetriedUpToTheLimit) {
  {
    NodeStore nodes(*sql_);
    checkout(nodes);
  }
  // The x86 build fails twice for the machine, then passes; every boot of
  // the arm64 build errs.
  InstantExecutor executor(instant_script_from_text(
      "kbuild-gcc-12-x86 error,error,pass\nbaseline-arm64 error\n", "script"));
  RunSummary summary = Orchestrator(config_, executor, options()).run();
  EXPECT_EQ(summary.retried, 4);
  NodeStore nodes(*sql_);
  for (const Node& n : nodes.list()) {
    if (n.name == "kbuild-gcc-12-x86") {
      EXPECT_EQ(n.retries, 2);
      EXPECT_EQ(n.result, NodeResult::kPass);
    } else if (n.name == "baseline-arm64@qemu-arm64") {
      EXPECT_EQ(n.retries, 2);
      EXPECT_EQ(n.state, NodeState::kDone);
      EXPECT_EQ(n.result, NodeResult::kIncomplete);
      EXPECT_NE(n.get("reason").find("error"), std::string::npos);
    }
  }
  // Only the final attempts are reported: two builds, two tests, one of
  // them ERROR.
  EXPECT_EQ(count_rows("builds"), 2);
  EXPECT_EQ(count_rows("tests"), 2);
  std::int64_t errors = 0;
  sql_->exec("SELECT COUNT(*) FROM tests WHERE status = 'ERROR'", {},
             [&](const store::SqlRow& r) { errors = r.integer(0); });
  EXPECT_EQ(errors, 1);
}

TEST_P(SchedulerTest, ARestartAfterACrashDuplicatesNothingAndRerunsTheInterruptedNode) {
  // The first run "dies" (kill -9) with the x86 build claimed and the
  // scheduler's cursor not yet committed past the checkout's event.
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  std::string host = default_owner().substr(0, default_owner().rfind(':'));
  std::string dead_owner = host + ":" + std::to_string(child) + ":w0";
  std::int64_t x86 = 0;
  {
    NodeStore nodes(*sql_);
    Scheduler scheduler(config_, nodes);
    std::int64_t c = checkout(nodes);
    scheduler.step();
    for (const Node& n : nodes.children(c)) {
      if (n.name == "kbuild-gcc-12-x86") x86 = n.id;
    }
    std::vector<std::int64_t> others;
    for (;;) {
      std::optional<Node> claimed = nodes.claim({NodeKind::kKbuild}, dead_owner);
      ASSERT_TRUE(claimed);
      if (claimed->id == x86) break;
      others.push_back(claimed->id);
    }
    for (std::int64_t other : others) {
      Finish back;
      back.state = NodeState::kAvailable;
      ASSERT_TRUE(nodes.finish(other, dead_owner, back));
    }
    nodes.set_cursor("scheduler", 0);
  }
  InstantExecutor executor;
  RunSummary summary = Orchestrator(config_, executor, options()).run();
  EXPECT_EQ(summary.reclaimed, 1);
  EXPECT_EQ(summary.executed, 4);
  NodeStore nodes(*sql_);
  // 1 checkout, 2 kbuilds, 2 jobs, 2 tests: nothing twice.
  EXPECT_EQ(nodes.list().size(), 7u);
  std::optional<Node> rerun = nodes.get(x86);
  EXPECT_EQ(rerun->retries, 1);
  EXPECT_EQ(rerun->state, NodeState::kDone);
  EXPECT_EQ(rerun->result, NodeResult::kPass);
  EXPECT_EQ(count_rows("builds"), 2);
}

TEST_P(SchedulerTest, NewCheckoutsAreScheduledWhileRunning) {
  NodeStore nodes(*sql_);
  checkout(nodes, "c1");
  checkout(nodes, "c2");
  checkout(nodes, "c1");  // the same checkout again is the same node
  InstantExecutor executor;
  RunSummary summary = Orchestrator(config_, executor, options(3)).run();
  EXPECT_EQ(summary.executed, 8);
  EXPECT_EQ(nodes.list(std::nullopt, NodeKind::kCheckout).size(), 2u);
  EXPECT_EQ(nodes.pending({NodeKind::kKbuild, NodeKind::kJob}), 0);
  EXPECT_NE(describe_counts(summary.counts).find("kbuild: 4 (4 done/pass)"), std::string::npos)
      << describe_counts(summary.counts);
}

// --forever's on_idle hook (kci run --forever --bisect): called only when
// no node is pending or running; while it runs nothing is scheduled or
// claimed (a checkout arriving then, even one another scheduler handles,
// waits for it); then the run goes on and the hook comes again once idle.
TEST_P(SchedulerTest, OnIdleRunsOnlyWhenIdleAndHoldsNewWorkBack) {
  {
    NodeStore nodes(*sql_);
    checkout(nodes, "c1");
  }
  InstantExecutor executor({}, "kci", std::chrono::milliseconds(20));
  std::atomic<bool> stop{false};
  OrchestratorOptions o = options(2);
  o.until_idle = false;
  int calls = 0;
  o.on_idle = [&](const std::atomic<bool>* s) {
    EXPECT_EQ(s, &stop);
    ++calls;
    auto sql = store::SqlConnection::open(spec_);
    NodeStore nodes(*sql);
    EXPECT_EQ(nodes.pending({NodeKind::kKbuild, NodeKind::kJob}), 0);
    if (calls == 1) {
      // c1's builds and boots are all done.
      EXPECT_EQ(nodes.list(NodeState::kDone, NodeKind::kJob).size(), 2u);
      std::int64_t c2 = checkout(nodes, "c2");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      EXPECT_TRUE(nodes.children(c2).empty()) << "scheduled while the hook ran";
      // Another scheduler on the database creates c2's builds: this run's
      // workers leave them alone until the hook returns.
      Scheduler other(config_, nodes);
      other.step();
      EXPECT_EQ(nodes.children(c2).size(), 2u);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      for (const Node& n : nodes.children(c2)) {
        EXPECT_EQ(n.state, NodeState::kAvailable) << n.name << " claimed while the hook ran";
      }
      return;
    }
    EXPECT_EQ(nodes.list(NodeState::kDone, NodeKind::kJob).size(), 4u);
    stop = true;
  };
  RunSummary summary = Orchestrator(config_, executor, o).run(&stop);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(summary.executed, 8);
}

// SIGINT while the hook runs (a bisection): the hook sees the stop flag,
// returns, and the run ends at once.
TEST_P(SchedulerTest, AStopEndsTheRunWhileOnIdleRuns) {
  InstantExecutor executor;
  std::atomic<bool> stop{false};
  OrchestratorOptions o = options(2);
  o.until_idle = false;
  int calls = 0;
  o.on_idle = [&](const std::atomic<bool>* s) {
    ++calls;
    while (!*s) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  };
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop = true;
  });
  auto start = std::chrono::steady_clock::now();
  Orchestrator(config_, executor, o).run(&stop);
  auto took = std::chrono::steady_clock::now() - start;
  stopper.join();
  EXPECT_EQ(calls, 1);
  EXPECT_LT(took, std::chrono::seconds(5));
}

// A hook that throws ends the run with its error, as a failed worker does;
// --until-idle never calls it.
TEST_P(SchedulerTest, OnIdleErrorsEndTheRunAndUntilIdleSkipsIt) {
  InstantExecutor executor;
  std::atomic<bool> stop{false};
  OrchestratorOptions o = options(1);
  o.until_idle = false;
  o.on_idle = [](const std::atomic<bool>*) { throw std::runtime_error("hook failed"); };
  EXPECT_THROW(Orchestrator(config_, executor, o).run(&stop), std::runtime_error);
  o.until_idle = true;
  EXPECT_NO_THROW(Orchestrator(config_, executor, o).run(&stop));
}

// A retry after kill -9 between the load of a report and the node's
// finish loads the same KCIDB ids again (merged), not a second build
// (tests/faults/kill/run_kill.sh found 21 builds for 20 kbuild nodes).
TEST(InstantExecutor, KcidbIdsAreTheNodesNotTheAttempts) {
  InstantExecutor executor;
  Node build;
  build.id = 7;
  build.kind = NodeKind::kKbuild;
  build.name = "kbuild-gcc-12-x86";
  Node checkout;
  checkout.id = 1;
  checkout.kind = NodeKind::kCheckout;
  Outcome first = executor.run(build, checkout);
  build.retries = 1;
  Outcome second = executor.run(build, checkout);
  ASSERT_EQ(first.report.builds.size(), 1u);
  ASSERT_EQ(second.report.builds.size(), 1u);
  EXPECT_EQ(first.report.builds[0].id, second.report.builds[0].id);
  Node job;
  job.id = 9;
  job.kind = NodeKind::kJob;
  job.name = "baseline-x86";
  Outcome j1 = executor.run(job, build);
  job.retries = 2;
  Outcome j2 = executor.run(job, build);
  ASSERT_EQ(j1.report.tests.size(), 1u);
  ASSERT_EQ(j2.report.tests.size(), 1u);
  EXPECT_EQ(j1.report.tests[0].id, j2.report.tests[0].id);
}

TEST(InstantScript, ParsesAndRejectsBadLines) {
  InstantScript s = instant_script_from_text("# comment\n\nkbuild error,pass # why\n", "s");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].match, "kbuild");
  EXPECT_EQ(s[0].results, (std::vector<std::string>{"error", "pass"}));
  EXPECT_THROW(instant_script_from_text("kbuild\n", "s"), InvalidInputError);
  try {
    instant_script_from_text("a pass\nb maybe\n", "script.txt");
    FAIL();
  } catch (const InvalidInputError& e) {
    EXPECT_NE(std::string(e.what()).find("script.txt:2"), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(Drivers, SchedulerTest,
                         ::testing::Values(store::Driver::kSqlite, store::Driver::kPostgresql),
                         testing::driver_name);

}  // namespace
}  // namespace kci::orchestrator
