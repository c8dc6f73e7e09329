// SPDX-License-Identifier: LGPL-2.1-or-later
// `kci run` in PostgreSQL mode: several `kci run --runtime instant`
// processes (each a scheduler and a pool of workers) on one database of the
// store's throw-away cluster, started at once, each submitting a checkout.
// Claims are atomic across processes (FOR UPDATE SKIP LOCKED) and children
// are unique per parent, so every node must run exactly once: one `running`
// event per node, every node done/pass, one KCIDB build per kbuild and one
// test per job, and the "N nodes run" of the processes add up to the nodes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "store/database_spec.h"
#include "store/pg_test_cluster.h"
#include "store/sql.h"
#include "util/subprocess.h"
#include "util/test_support.h"

namespace kci {
namespace {

namespace fs = std::filesystem;

constexpr int kKbuilds = 6;
constexpr int kPlatforms = 4;
constexpr int kProcesses = 3;

// kKbuilds kbuild jobs on every checkout, each tested on kPlatforms
// platforms when it passes.
std::string pipeline_yaml() {
  std::string y =
      "trees:\n  mainline: {url: 'https://git.example.org/mainline.git'}\n"
      "build_environments:\n  gcc-12: {cc: gcc, cc_version: 12}\n"
      "build_configs:\n  mainline: {tree: mainline, branch: master}\n"
      "runtimes:\n  local: {lab_type: shell}\njobs:\n";
  for (int k = 0; k < kKbuilds; ++k) {
    y += "  kbuild-k" + std::to_string(k) +
         ":\n    kind: kbuild\n    params: {arch: x86_64, compiler: gcc-12, defconfig: k" +
         std::to_string(k) + "_defconfig}\n";
    y += "  baseline-k" + std::to_string(k) + ": {kind: job}\n";
  }
  y += "scheduler:\n";
  for (int k = 0; k < kKbuilds; ++k) {
    std::string K = std::to_string(k);
    y += "  - job: kbuild-k" + K +
         "\n    event: {channel: node, kind: checkout, state: available}\n"
         "    runtime: {name: local}\n";
    y += "  - job: baseline-k" + K + "\n    event: {channel: node, kind: kbuild, name: kbuild-k" +
         K + ", state: done, result: pass}\n    runtime: {name: local}\n    platforms: [";
    for (int p = 0; p < kPlatforms; ++p) {
      y += std::string(p ? ", " : "") + (p == 0 ? "qemu-x86_64" : "board-" + std::to_string(p));
    }
    y += "]\n";
  }
  return y;
}

std::int64_t count(store::SqlConnection& sql, const std::string& query) {
  std::int64_t n = -1;
  sql.exec(query, {}, [&](const store::SqlRow& r) { n = r.integer(0); });
  return n;
}

TEST(RunPostgresql, ConcurrentProcessesRunEveryNodeOnce) {
  auto* cluster = store::testing::PgTestCluster::get();
  if (!cluster) KCI_MISSING_REAL_PART(store::testing::PgTestCluster::skip_reason());
  std::string db = cluster->create_database();

  fs::path dir = fs::path(KCI_BINARY_DIR) / "tests" / "run" / "work-pg";
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::path config = dir / "pipeline.yaml";
  std::ofstream(config) << pipeline_yaml();

  // The schema first (kci db init), so the processes race on claims, not
  // on migrations.
  RunResult init = run_process({KCI_BINARY, "db", "init", "-d", db});
  ASSERT_EQ(init.exit_code, 0) << init.err;

  std::vector<RunResult> results(kProcesses);
  std::vector<std::thread> threads;
  for (int i = 0; i < kProcesses; ++i) {
    threads.emplace_back([&, i] {
      RunOptions o;
      o.timeout = std::chrono::seconds(120);
      o.unset_env = {"KCI_DATABASE", "KCI_CONFIG"};
      results[i] = run_process({KCI_BINARY,
                                "run",
                                "--config",
                                config.string(),
                                "--db",
                                db,
                                "--runtime",
                                "instant",
                                "--instant-delay",
                                "40",
                                "--workers",
                                "3",
                                "--retry-holdoff",
                                "0",
                                "--tree",
                                "mainline",
                                "--branch",
                                "master",
                                "--commit",
                                "c" + std::to_string(i)},
                               o);
    });
  }
  for (auto& t : threads) t.join();

  const std::int64_t checkouts = kProcesses;
  const std::int64_t kbuilds = checkouts * kKbuilds;
  const std::int64_t jobs = kbuilds * kPlatforms;
  std::int64_t run_total = 0;
  int busy = 0;
  for (int i = 0; i < kProcesses; ++i) {
    EXPECT_EQ(results[i].exit_code, 0) << "process " << i << ":\n" << results[i].err;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(results[i].out, m, std::regex("kci run: (\\d+) nodes run")))
        << results[i].out;
    std::int64_t n = std::stoll(m[1]);
    std::cout << "process " << i << ": " << n << " nodes run\n";
    run_total += n;
    if (n > 0) ++busy;
  }
  EXPECT_EQ(run_total, kbuilds + jobs) << "the processes ran some node twice or not at all";
  EXPECT_GE(busy, 2) << "the processes did not share the work";

  auto sql = store::SqlConnection::open(store::parse_database_spec(db));
  EXPECT_EQ(count(*sql, "SELECT COUNT(*) FROM orch_nodes WHERE kind = 'checkout'"), checkouts);
  EXPECT_EQ(count(*sql,
                  "SELECT COUNT(*) FROM orch_nodes WHERE kind = 'kbuild' AND state = 'done' AND "
                  "result = 'pass'"),
            kbuilds);
  EXPECT_EQ(count(*sql,
                  "SELECT COUNT(*) FROM orch_nodes WHERE kind = 'job' AND state = 'done' AND "
                  "result = 'pass'"),
            jobs);
  EXPECT_EQ(count(*sql, "SELECT COUNT(*) FROM orch_nodes WHERE kind = 'test'"), jobs);
  EXPECT_EQ(count(*sql, "SELECT COUNT(*) FROM orch_nodes"), checkouts + kbuilds + 2 * jobs);
  // One claim per node, and no retry.
  EXPECT_EQ(count(*sql, "SELECT COUNT(*) FROM orch_events WHERE state = 'running'"),
            kbuilds + jobs);
  EXPECT_EQ(count(*sql,
                  "SELECT COUNT(*) FROM (SELECT node FROM orch_events WHERE state = 'running' "
                  "GROUP BY node HAVING COUNT(*) > 1) AS twice"),
            0);
  EXPECT_EQ(count(*sql, "SELECT COALESCE(SUM(retries), 0) FROM orch_nodes"), 0);
  // The results went through ingest once per node.
  EXPECT_EQ(count(*sql, "SELECT COUNT(*) FROM builds"), kbuilds);
  EXPECT_EQ(count(*sql, "SELECT COUNT(*) FROM tests"), jobs);
  EXPECT_EQ(count(*sql, "SELECT COUNT(*) FROM checkouts"), checkouts);
}

}  // namespace
}  // namespace kci
