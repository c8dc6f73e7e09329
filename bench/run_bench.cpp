// SPDX-License-Identifier: LGPL-2.1-or-later
// kci run's scheduler overhead (see docs/performance.md, section "kci run"),
// with a runtime that returns at once (the instant runtime): nothing is
// built or booted, so every millisecond is the node tables, the scheduler
// and (in the last phase) ingest and analysis. Run by hand:
//   run_bench [--checkouts N] [--jobs K] [--workers W] [--dir PATH] [--postgresql]
// A pipeline of K kbuild jobs, each booted by one job, and N checkouts:
// N*K kbuilds, N*K jobs and N*K test nodes.
//  1. scheduling alone: the scheduler's step for the checkouts (creating
//     the kbuilds) and for the passed kbuilds (creating the jobs), per node
//     created; claim + finish of a node by one worker, per node;
//  2. the whole loop (Orchestrator, W workers, instant runtime), every
//     result loaded through ingest::Loader, no analysis: nodes run per
//     minute;
//  3. the same with Analyzer::update after each load.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "bench_util.h"
#include "orchestrator/instant_executor.h"
#include "orchestrator/orchestrator.h"
#include "orchestrator/scheduler.h"
#include "pipeline/config/config.h"
#include "store/sql.h"
#include "store/store.h"
#ifdef KCI_BENCH_POSTGRESQL
#include "store/pg_test_cluster.h"
#endif

using namespace kci;
using namespace kci::orchestrator;
using kci::bench::ms_since;
using kci::bench::parse_args;
using Steady = kci::bench::Clock;

namespace {

std::string pipeline_yaml(int jobs) {
  std::string y =
      "trees:\n  mainline: {url: 'https://git.example.org/mainline.git'}\n"
      "build_environments:\n  gcc-12: {cc: gcc, cc_version: 12}\n"
      "build_configs:\n  mainline: {tree: mainline, branch: master}\n"
      "runtimes:\n  local: {lab_type: shell}\njobs:\n";
  for (int i = 0; i < jobs; ++i) {
    std::string n = std::to_string(i);
    y += "  kbuild-" + n +
         ":\n    kind: kbuild\n    params: {arch: x86_64, compiler: gcc-12, defconfig: "
         "defconfig, fragments: ['CONFIG_BENCH_" +
         n + "=y']}\n";
    y += "  baseline-" + n + ": {kind: job}\n";
  }
  y += "scheduler:\n";
  for (int i = 0; i < jobs; ++i) {
    std::string n = std::to_string(i);
    y += "  - job: kbuild-" + n +
         "\n    event: {channel: node, kind: checkout, state: available}\n"
         "    runtime: {name: local}\n";
    y += "  - job: baseline-" + n + "\n    event: {channel: node, kind: kbuild, name: kbuild-" + n +
         ", state: done, result: pass}\n    runtime: {name: local}\n" +
         "    platforms: [qemu-x86_64]\n";
  }
  return y;
}

}  // namespace

int main(int argc, char** argv) {
  int checkouts = 10, jobs = 50, workers = 2;
  std::string dir;
  bool postgresql = false;
  CLI::App app{
      "kci run's scheduler with a runtime that returns at once: overhead per node "
      "and nodes per minute (docs/performance.md, \"kci run\")"};
  app.add_option("--checkouts", checkouts, "Checkouts submitted")->capture_default_str();
  app.add_option("--jobs", jobs, "kbuild jobs per checkout")->capture_default_str();
  app.add_option("--workers", workers, "Executor workers")->capture_default_str();
  app.add_option("--dir", dir, "Working directory (default: a new one under /tmp)");
  app.add_flag("--postgresql", postgresql, "Use the tests' throw-away PostgreSQL cluster");
  parse_args(app, argc, argv);
  bool own_dir = dir.empty();
  if (own_dir) {
    char tmpl[] = "/tmp/kci-run-bench-XXXXXX";
    if (!mkdtemp(tmpl)) return 3;
    dir = tmpl;
  }
  std::ofstream(dir + "/pipeline.yaml") << pipeline_yaml(jobs);
  pipeline::PipelineConfig config = pipeline::PipelineConfig::load({dir + "/pipeline.yaml"});

  int db_count = 0;
  auto fresh_db = [&]() {
    store::DatabaseSpec spec;
#ifdef KCI_BENCH_POSTGRESQL
    if (postgresql) {
      auto* cluster = store::testing::PgTestCluster::get();
      if (!cluster) {
        std::fprintf(stderr, "no PostgreSQL: %s\n",
                     store::testing::PgTestCluster::skip_reason().c_str());
        std::exit(3);
      }
      spec = store::parse_database_spec(cluster->create_database());
    }
#endif
    if (!postgresql) {
      spec = store::parse_database_spec("sqlite:" + dir + "/bench" + std::to_string(db_count++) +
                                        ".sqlite");
    }
    store::open_store(spec)->init();
    return spec;
  };
  auto submit = [&](NodeStore& nodes) {
    for (int c = 0; c < checkouts; ++c) {
      submit_checkout(nodes, "mainline", "master", "commit" + std::to_string(c),
                      {{"describe", "v6.1"}});
    }
  };
  long long per_phase = static_cast<long long>(checkouts) * jobs;
  std::printf(
      "kci run bench: %d checkouts x %d kbuild jobs = %lld kbuilds, %lld jobs, %lld "
      "tests; %s, %d workers\n",
      checkouts, jobs, per_phase, per_phase, per_phase, postgresql ? "PostgreSQL" : "SQLite",
      workers);

  // 1. Scheduling alone.
  {
    store::DatabaseSpec spec = fresh_db();
    auto sql = store::SqlConnection::open(spec);
    NodeStore::migrate(*sql);
    NodeStore nodes(*sql);
    Scheduler scheduler(config, nodes);
    submit(nodes);
    auto t = Steady::now();
    ScheduleStats s1 = scheduler.step();
    double kbuild_ms = ms_since(t);
    t = Steady::now();
    long long claimed = 0;
    while (auto n = nodes.claim({NodeKind::kKbuild}, "bench")) {
      Finish f;
      f.result = NodeResult::kPass;
      nodes.finish(n->id, "bench", f);
      ++claimed;
    }
    double claim_ms = ms_since(t);
    t = Steady::now();
    ScheduleStats s2 = scheduler.step();
    double job_ms = ms_since(t);
    std::printf("scheduler: %zu kbuilds from %d checkout events in %.0f ms: %.3f ms/node\n",
                s1.created, checkouts, kbuild_ms, kbuild_ms / std::max<std::size_t>(1, s1.created));
    std::printf("scheduler: %zu jobs from %zu events in %.0f ms: %.3f ms/node\n", s2.created,
                s2.events, job_ms, job_ms / std::max<std::size_t>(1, s2.created));
    std::printf("claim + finish (one worker): %lld nodes in %.0f ms: %.3f ms/node\n", claimed,
                claim_ms, claim_ms / std::max(1LL, claimed));
  }

  // 2 and 3. The whole loop.
  for (bool analyze : {false, true}) {
    store::DatabaseSpec spec = fresh_db();
    {
      auto sql = store::SqlConnection::open(spec);
      NodeStore::migrate(*sql);
      NodeStore nodes(*sql);
      submit(nodes);
    }
    InstantExecutor executor;
    OrchestratorOptions o;
    o.database = spec;
    o.workers = workers;
    o.retry_holdoff = std::chrono::milliseconds(0);
    o.poll = std::chrono::milliseconds(5);
    o.analyze = analyze;
    Orchestrator orchestrator(config, executor, o);
    RunSummary s = orchestrator.run();
    std::printf(
        "run until idle%s: %lld nodes run in %.2f s: %.2f ms/node, %.0f nodes/minute "
        "(%lld KCIDB objects loaded)\n",
        analyze ? " (ingest + analysis)" : " (ingest, no analysis)",
        static_cast<long long>(s.executed), s.seconds,
        1000.0 * s.seconds / std::max(1LL, static_cast<long long>(s.executed)),
        60.0 * static_cast<double>(s.executed) / s.seconds, static_cast<long long>(s.loaded));
  }
  if (own_dir) std::filesystem::remove_all(dir);
  return 0;
}
