// SPDX-License-Identifier: LGPL-2.1-or-later
// Automatic bisection over a real store: hand-made KCIDB results loaded
// through ingest::Loader, the analysis tables built from them by the real
// Analyzer, a real git repository whose commits the checkouts name, and a
// StepRunner that "builds" and "tests" by reading the checked-out tree (no
// kernel is built). The bisections table runs on SQLite and PostgreSQL.
#include "bisect/auto_bisect.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "analysis/analyzer.h"
#include "bisect/test_repo.h"
#include "ingest/loader.h"
#include "store/pg_test_cluster.h"
#include "triage/known_regressions.h"
#include "util/subprocess.h"

namespace kci::bisect {
namespace {

namespace fs = std::filesystem;
using test_repo::git;
using test_repo::read;

class TempDir : public test_repo::ScratchDir {
 public:
  TempDir() : ScratchDir("kci-auto-bisect") {}
};

// "Builds" the checked-out tree (the image is state.txt) and "tests" it:
// FAIL when state.txt says BROKEN.
class TreeRunner : public StepRunner {
 public:
  explicit TreeRunner(std::string repo) : repo_(std::move(repo)) {}
  BuildOutcome build(const std::string&) override {
    BuildOutcome b;
    b.status = Status::kPass;
    b.image_digest = read(repo_ + "/state.txt");
    b.seconds = 0.001;
    return b;
  }
  TestOutcome test(const std::string&) override {
    TestOutcome t;
    t.status = read(repo_ + "/state.txt").find("BROKEN") != std::string::npos ? Status::kFail
                                                                              : Status::kPass;
    t.seconds = 0.001;
    return t;
  }

 private:
  std::string repo_;
};

// A kernel tree of 8 commits (commit 4 breaks the test) and a store whose
// analysis sees three test identities over 4 checkouts (commits 0, 2, 5, 7):
//   baseline.dmesg.crit  PASS PASS FAIL FAIL   a regression to bisect
//   baseline.login       PASS PASS FAIL FAIL   a regression with a known issue
//   baseline.flaky       PASS FAIL PASS FAIL FAIL (5 checkouts): unstable
class World {
 public:
  explicit World(const std::string& spec) : spec_(spec) {
    repo_ = dir_.path() + "/linux";
    fs::create_directories(repo_);
    git(repo_, {"init", "-q", "-b", "master"});
    for (int i = 0; i < 8; ++i) {
      std::ofstream(repo_ + "/state.txt") << (i >= 4 ? "BROKEN\n" : "fine\n") << i << "\n";
      std::ofstream(repo_ + "/file" + std::to_string(i) + ".c") << "int f" << i << ";\n";
      git(repo_, {"add", "-A"});
      std::string body = i == 4 ? "\n\nSigned-off-by: Culprit Author <culprit@example.org>\n"
                                  "Reviewed-by: Reviewer <reviewer@example.org>"
                                : "";
      git(repo_, {"commit", "-q", "-m", "commit " + std::to_string(i) + body});
      commits_.push_back(git(repo_, {"rev-parse", "HEAD"}));
    }
    store_ = store::open_store(spec_);
    store_->init();
    sql_ = store::SqlConnection::open(store::parse_database_spec(spec_));
  }

  void load_results(bool with_known_issue) {
    ingest::Loader loader(*store_);
    report::Report r;
    const int points[] = {0, 2, 5, 7, 7};
    for (int k = 0; k < 5; ++k) {
      report::Checkout c;
      c.id = "kci:checkout-" + std::to_string(k);
      c.origin = "kci";
      c.tree_name = "mainline";
      c.git_repository_url = "https://git.example.org/linux.git";
      c.git_repository_branch = "master";
      c.git_commit_hash = commits_[points[k]];
      c.git_commit_name = "v6.13-rc" + std::to_string(k);
      c.start_time = "2026-12-0" + std::to_string(k + 1) + "T00:00:00.000000+00:00";
      r.checkouts.push_back(c);
      report::Build b;
      b.id = "kci:build-" + std::to_string(k);
      b.origin = "kci";
      b.checkout_id = c.id;
      b.architecture = "x86_64";
      b.config_name = "tinyconfig+x86_64-boot";
      b.compiler = "gcc (Debian 12.2.0-14) 12.2.0";
      b.misc = R"({"toolchain": "gcc-12", "kernel_version": "v6.13"})";
      b.status = "PASS";
      b.start_time = c.start_time;
      r.builds.push_back(b);
      auto test = [&](const std::string& path, const std::string& status) {
        report::Test t;
        t.id = "kci:test-" + std::to_string(k) + "." + path;
        t.origin = "kci";
        t.build_id = b.id;
        t.path = path;
        t.status = status;
        t.start_time = c.start_time;
        t.log_url = "file:///logs/" + std::to_string(k) + ".txt";
        t.misc = R"({"platform": "qemu-x86_64", "plan": "baseline", "runtime": "qemu"})";
        r.tests.push_back(t);
      };
      if (k < 4) {
        test("baseline.dmesg.crit", k < 2 ? "PASS" : "FAIL");
        test("baseline.login", k < 2 ? "PASS" : "FAIL");
      }
      const char* flaky[] = {"PASS", "FAIL", "PASS", "FAIL", "FAIL"};
      test("baseline.flaky", flaky[k]);
    }
    if (with_known_issue) {
      report::Issue issue;
      issue.id = "kci:known-login";
      issue.version = 1;
      issue.origin = "kci";
      issue.report_subject = "login prompt missing";
      r.issues.push_back(issue);
      report::Incident incident;
      incident.id = "kci:incident-login";
      incident.origin = "kci";
      incident.issue_id = issue.id;
      incident.issue_version = 1;
      incident.test_id = "kci:test-2.baseline.login";
      incident.present = true;
      r.incidents.push_back(incident);
    }
    loader.load(r);
    analysis::Analyzer analyzer(*store_, *sql_);
    analyzer.rebuild();
  }

  analysis::RegressionInfo regression(const std::string& path) {
    analysis::RegressionFilter f;
    f.all = true;
    for (auto& r : analysis::regressions(*sql_, f)) {
      if (r.identity.identity.path == path && r.active) return r;
    }
    ADD_FAILURE() << "no active regression of " << path;
    return {};
  }

  AutoBisectOptions options() const {
    AutoBisectOptions o;
    o.source_dir = repo_;
    o.worker = "test-worker";
    o.bisect.check_runs = 1;
    o.clock = [] { return std::int64_t{1800000000}; };
    return o;
  }

  StepRunnerFactory factory() {
    return [this](const BisectRequest& q) {
      requests.push_back(q);
      return std::make_unique<TreeRunner>(repo_);
    };
  }

  TempDir dir_;
  std::string spec_, repo_;
  std::vector<std::string> commits_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::SqlConnection> sql_;
  std::vector<BisectRequest> requests;
};

std::string sqlite_spec(const TempDir& dir) { return "sqlite:" + dir.path() + "/kci.db"; }

// ---- regression_request

TEST(RegressionRequest, TakesEndpointsBuildAndTestFromTheTables) {
  TempDir db;
  World w(sqlite_spec(db));
  w.load_results(false);
  analysis::RegressionInfo r = w.regression("baseline.dmesg.crit");
  BisectRequest q = regression_request(*w.sql_, *w.store_, r.id);
  EXPECT_EQ(q.regression_id, r.id);
  EXPECT_FALSE(q.build_only);
  EXPECT_EQ(q.good, w.commits_[2]);
  EXPECT_EQ(q.bad, w.commits_[5]);
  EXPECT_EQ(q.good_checkout, "kci:checkout-1");
  EXPECT_EQ(q.bad_checkout, "kci:checkout-2");
  EXPECT_EQ(q.good_describe, "v6.13-rc1");
  EXPECT_EQ(q.arch, "x86_64");
  EXPECT_EQ(q.config, "tinyconfig+x86_64-boot");
  EXPECT_EQ(q.toolchain, "gcc-12");
  EXPECT_EQ(q.test_path, "baseline.dmesg.crit");
  EXPECT_EQ(q.plan, "baseline");
  EXPECT_EQ(q.platform, "qemu-x86_64");
  EXPECT_EQ(q.tree_name, "mainline");
  EXPECT_EQ(q.failing_test_ids, (std::vector<std::string>{"kci:test-2.baseline.dmesg.crit",
                                                          "kci:test-3.baseline.dmesg.crit"}));
  // The step runner gets the failing build's configuration and the test.
  KernelStepOptions base;
  base.source_dir = "/src";
  KernelStepOptions o = step_options(q, base);
  EXPECT_EQ(o.source_dir, "/src");
  EXPECT_EQ(o.toolchain, "gcc-12");
  EXPECT_EQ(o.config, "tinyconfig+x86_64-boot");
  EXPECT_EQ(o.test_path, "baseline.dmesg.crit");
  EXPECT_EQ(o.platform, "qemu-x86_64");
  // The table's copy reads back the same.
  EXPECT_EQ(request_from_json(request_json(q)), q);
}

TEST(RegressionRequest, UnknownIdIsInvalidInputNamingIt) {
  TempDir db;
  World w(sqlite_spec(db));
  w.load_results(false);
  try {
    regression_request(*w.sql_, *w.store_, "nope/x");
    FAIL() << "no error";
  } catch (const InvalidInputError& e) {
    EXPECT_NE(std::string(e.what()).find("nope/x"), std::string::npos) << e.what();
  }
  EXPECT_THROW(request_from_json("{\"good\": 3}"), InvalidInputError);
}

// ---- queueing

void queued_once(const std::string& spec) {
  World w(spec);
  w.load_results(true);
  AutoBisectOptions o = w.options();
  QueueStats first = queue_regressions(*w.sql_, *w.store_, o);
  EXPECT_EQ(first.active, 3);
  EXPECT_EQ(first.queued, 1);
  EXPECT_EQ(first.unstable, 1);
  EXPECT_EQ(first.known, 1);
  QueueStats second = queue_regressions(*w.sql_, *w.store_, o);
  EXPECT_EQ(second.queued, 0);
  EXPECT_EQ(second.already, 1);
  // A restart: a new connection, a new table object, the same answer.
  auto sql = store::SqlConnection::open(store::parse_database_spec(spec));
  QueueStats third = queue_regressions(*sql, *w.store_, o);
  EXPECT_EQ(third.queued, 0);
  BisectionTable table(*sql);
  auto all = table.list();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].state, "queued");
  EXPECT_EQ(all[0].request.test_path, "baseline.dmesg.crit");
  EXPECT_EQ(all[0].last_pass_checkout, "kci:checkout-1");
  // Another tree's regressions are left alone.
  o.trees = {"next"};
  EXPECT_EQ(queue_regressions(*sql, *w.store_, o).other_tree, 3);
}

TEST(AutoBisectSqlite, QueuedOnceSkippingUnstableAndKnown) {
  TempDir db;
  queued_once(sqlite_spec(db));
}

store::testing::PgTestCluster* pg_or_skip() {
  auto* cluster = store::testing::PgTestCluster::get();
  if (!cluster) {
    const char* ci = std::getenv("CI");
    if (ci && std::string(ci) == "true") {
      ADD_FAILURE() << "PostgreSQL is required under CI=true: "
                    << store::testing::PgTestCluster::skip_reason();
    }
  }
  return cluster;
}

TEST(AutoBisectPostgresql, QueuedOnceSkippingUnstableAndKnown) {
  auto* cluster = pg_or_skip();
  if (!cluster) GTEST_SKIP() << store::testing::PgTestCluster::skip_reason();
  queued_once(cluster->create_database());
}

TEST(AutoBisectSqlite, ARegressionThatCannotBeBisectedIsRecordedOnce) {
  TempDir db;
  World w(sqlite_spec(db));
  w.load_results(false);
  // The last pass's checkout loses its commit: nothing to bisect from.
  w.sql_->exec("UPDATE analysis_checkouts SET git_commit_hash = '' WHERE id = 'kci:checkout-1'");
  AutoBisectOptions o = w.options();
  QueueStats s = queue_regressions(*w.sql_, *w.store_, o);
  EXPECT_EQ(s.queued, 0);
  EXPECT_EQ(s.unbisectable, 2);  // dmesg.crit and login (no known issue here)
  EXPECT_EQ(queue_regressions(*w.sql_, *w.store_, o).already, 2);
  BisectionTable table(*w.sql_);
  for (const auto& r : table.list()) {
    EXPECT_EQ(r.state, "failed");
    EXPECT_NE(r.error.find("git_commit_hash"), std::string::npos) << r.error;
  }
}

// ---- claims

BisectRequest fake_request(int i) {
  BisectRequest q;
  q.identity_key = "identity-" + std::to_string(i);
  q.good_checkout = "good";
  q.bad_checkout = "bad";
  q.regression_id = q.identity_key + "/x";
  return q;
}

void claims_are_atomic(const std::string& spec) {
  auto sql = store::SqlConnection::open(store::parse_database_spec(spec));
  BisectionTable table(*sql);
  const int n = 40;
  for (int i = 0; i < n; ++i) ASSERT_TRUE(table.queue(fake_request(i), 100));
  EXPECT_FALSE(table.queue(fake_request(0), 101));
  // Four workers, each with its own connection, claim until none is left.
  std::vector<std::vector<std::int64_t>> got(4);
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      try {
        auto own = store::SqlConnection::open(store::parse_database_spec(spec));
        BisectionTable mine(*own);
        while (auto r = mine.claim("worker-" + std::to_string(t), 200, 1000)) {
          got[t].push_back(r->id);
        }
      } catch (const std::exception& e) {
        ++errors;
        ADD_FAILURE() << e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  std::multiset<std::int64_t> all;
  for (const auto& g : got) all.insert(g.begin(), g.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(n));
  EXPECT_EQ(std::set<std::int64_t>(all.begin(), all.end()).size(), static_cast<std::size_t>(n))
      << "a bisection was claimed twice";
  // Each row records its one claim.
  for (const auto& r : table.list()) {
    EXPECT_EQ(r.state, "running");
    EXPECT_EQ(r.attempts, 1);
    EXPECT_EQ(r.lease_until, 1200);
  }
  // Nothing claimable before the leases expire; afterwards a row of a dead
  // worker is claimed again.
  EXPECT_FALSE(table.claim("late", 1199, 1000));
  auto again = table.claim("late", 1201, 1000);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->worker, "late");
  EXPECT_EQ(again->attempts, 2);
}

// kill -9 of kci bisect --auto: its row is claimed again at once, not a
// lease later, when its worker (HOST:PID, the default) is a dead process of
// this host; a live one's is not.
TEST(AutoBisectSqlite, ClaimsOfADeadProcessOfThisHostAreTakenOverAtOnce) {
  TempDir db;
  std::string spec = sqlite_spec(db);
  store::open_store(spec)->init();
  auto sql = store::SqlConnection::open(store::parse_database_spec(spec));
  BisectionTable table(*sql);
  ASSERT_TRUE(table.queue(fake_request(0), 100));
  ASSERT_TRUE(table.queue(fake_request(1), 100));
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);  // a pid no process has now
  std::string dead = std::string(host) + ":" + std::to_string(child);
  std::string live = std::string(host) + ":" + std::to_string(::getpid());
  auto first = table.claim(live, 200, 86400);
  auto second = table.claim(dead, 200, 86400);
  ASSERT_TRUE(first && second);
  auto again = table.claim("restarted", 201, 86400);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, second->id);
  EXPECT_EQ(again->attempts, 2);
  EXPECT_EQ(again->lease_until, 201 + 86400);
  EXPECT_FALSE(table.claim("another", 202, 86400)) << "a live worker's claim was taken";
}

TEST(AutoBisectSqlite, ClaimsAreAtomicAndLeasesExpire) {
  TempDir db;
  std::string spec = sqlite_spec(db);
  store::open_store(spec)->init();
  claims_are_atomic(spec);
}

TEST(AutoBisectPostgresql, ClaimsAreAtomicAndLeasesExpire) {
  auto* cluster = pg_or_skip();
  if (!cluster) GTEST_SKIP() << store::testing::PgTestCluster::skip_reason();
  std::string spec = cluster->create_database();
  store::open_store(spec)->init();
  claims_are_atomic(spec);
}

// ---- running

TEST(AutoBisectSqlite, RunPendingFindsTheCulpritAndStoresItAsAKnownIssue) {
  TempDir db;
  World w(sqlite_spec(db));
  w.load_results(true);
  AutoBisectOptions o = w.options();
  std::vector<std::string> lines;
  AutoBisectStats s = run_pending(*w.sql_, *w.store_, w.factory(), o,
                                  [&](const std::string& l) { lines.push_back(l); });
  EXPECT_EQ(s.queue.queued, 1);
  EXPECT_EQ(s.ran, 1);
  EXPECT_EQ(s.found, 1);
  EXPECT_EQ(s.failed, 0);
  ASSERT_EQ(s.ids.size(), 1u);
  ASSERT_EQ(w.requests.size(), 1u);
  EXPECT_EQ(w.requests[0].test_path, "baseline.dmesg.crit");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[1].find("found " + w.commits_[4].substr(0, 12)), std::string::npos) << lines[1];
  EXPECT_NE(s.describe().find("ran 1 (1 found)"), std::string::npos) << s.describe();

  BisectionTable table(*w.sql_);
  auto r = table.get(s.ids[0]);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, "done");
  EXPECT_EQ(r->status, "found");
  EXPECT_EQ(r->culprit, w.commits_[4]);
  EXPECT_EQ(r->issue_id, "kci:bisect-" + w.commits_[4].substr(0, 12));
  EXPECT_NE(r->result.find("\"bisect_log\""), std::string::npos);
  // The source tree is left as it was.
  EXPECT_EQ(git(w.repo_, {"rev-parse", "HEAD"}), w.commits_[7]);

  // The culprit issue and its incidents on the failing tests are in the
  // store: triage now sees the regression as known.
  store::QueryIds ids;
  ids.issues.push_back({r->issue_id, 1});
  store::QueryOptions qo;
  qo.children = true;
  report::Report stored = w.store_->query(ids, qo);
  ASSERT_EQ(stored.issues.size(), 1u);
  EXPECT_EQ(stored.issues[0].report_subject, "commit 4");
  std::set<std::string> incident_tests;
  for (const auto& i : stored.incidents) incident_tests.insert(i.test_id.value_or(""));
  EXPECT_EQ(incident_tests, (std::set<std::string>{"kci:test-2.baseline.dmesg.crit",
                                                   "kci:test-3.baseline.dmesg.crit"}));
  auto known =
      triage::known_issues_of_regressions(*w.store_, {w.regression("baseline.dmesg.crit")});
  EXPECT_EQ(known.size(), 1u);

  // A second run (a restart) bisects nothing again.
  w.requests.clear();
  AutoBisectStats again = run_pending(*w.sql_, *w.store_, w.factory(), o);
  EXPECT_EQ(again.queue.queued, 0);
  EXPECT_EQ(again.ran, 0);
  EXPECT_TRUE(w.requests.empty());
}

// A stop (kci run's SIGINT/SIGTERM) in the middle of a bisection puts the
// tree back and queues the bisection again; the next run bisects it from
// the start to its culprit.
TEST(AutoBisectSqlite, AStopQueuesTheBisectionAgainAndLeavesTheTreeAsItWas) {
  TempDir db;
  World w(sqlite_spec(db));
  w.load_results(true);
  std::atomic<bool> stop{false};
  AutoBisectOptions o = w.options();
  o.bisect.stop = &stop;
  int builds = 0;
  // The third build (the first step of the bisection proper, after both
  // endpoints) asks for the stop: the Bisector starts no step after it.
  class StoppingRunner : public TreeRunner {
   public:
    StoppingRunner(std::string repo, std::atomic<bool>& stop, int& builds)
        : TreeRunner(std::move(repo)), stop_(stop), builds_(builds) {}
    BuildOutcome build(const std::string& commit) override {
      if (++builds_ == 3) stop_ = true;
      return TreeRunner::build(commit);
    }

   private:
    std::atomic<bool>& stop_;
    int& builds_;
  };
  StepRunnerFactory factory = [&](const BisectRequest&) {
    return std::make_unique<StoppingRunner>(w.repo_, stop, builds);
  };
  std::vector<std::string> lines;
  AutoBisectStats s = run_pending(*w.sql_, *w.store_, factory, o,
                                  [&](const std::string& l) { lines.push_back(l); });
  EXPECT_EQ(builds, 3);
  EXPECT_EQ(s.interrupted, 1);
  EXPECT_EQ(s.ran, 0);
  EXPECT_EQ(s.failed, 0);
  ASSERT_EQ(s.ids.size(), 1u);
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.back().find("interrupted, queued again"), std::string::npos) << lines.back();
  EXPECT_NE(s.describe().find("1 interrupted"), std::string::npos) << s.describe();
  BisectionTable table(*w.sql_);
  EXPECT_EQ(table.get(s.ids[0])->state, "queued");
  // The tree: back on its branch, no git bisect, nothing to recover.
  EXPECT_EQ(git(w.repo_, {"symbolic-ref", "--short", "HEAD"}), "master");
  EXPECT_EQ(git(w.repo_, {"rev-parse", "HEAD"}), w.commits_[7]);
  EXPECT_FALSE(fs::exists(w.repo_ + "/.git/BISECT_START"));
  EXPECT_FALSE(fs::exists(w.repo_ + "/.git/kci-bisect.state"));
  EXPECT_FALSE(recover_interrupted(w.repo_));

  // Stopped before it starts: nothing is claimed.
  AutoBisectStats none = run_pending(*w.sql_, *w.store_, factory, o);
  EXPECT_TRUE(none.ids.empty());
  EXPECT_EQ(table.get(s.ids[0])->state, "queued");

  // The next run (a restart) takes it up again.
  stop = false;
  builds = 100;
  AutoBisectStats again = run_pending(*w.sql_, *w.store_, factory, o);
  ASSERT_EQ(again.ids, s.ids);
  EXPECT_EQ(again.found, 1);
  EXPECT_EQ(table.get(s.ids[0])->culprit, w.commits_[4]);
}

// A runner that cannot be made (or a git error) fails the bisection, which
// is stored and not run again.
TEST(AutoBisectSqlite, AnErrorFailsTheBisectionOnce) {
  TempDir db;
  World w(sqlite_spec(db));
  w.load_results(true);
  AutoBisectOptions o = w.options();
  o.source_dir = db.path() + "/not-a-repository";
  AutoBisectStats s = run_pending(*w.sql_, *w.store_, w.factory(), o);
  EXPECT_EQ(s.ran, 0);
  EXPECT_EQ(s.failed, 1);
  BisectionTable table(*w.sql_);
  auto r = table.get(s.ids.at(0));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, "failed");
  EXPECT_FALSE(r->error.empty());
  EXPECT_EQ(run_pending(*w.sql_, *w.store_, w.factory(), o).ids.size(), 0u);
}

}  // namespace
}  // namespace kci::bisect
