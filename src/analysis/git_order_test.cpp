// SPDX-License-Identifier: LGPL-2.1-or-later
// Checkouts ordered by git ancestry in a real repository made by the test:
// the order keys, a rebase (compared against the merge-base), the analysis
// tables against a rebuild in several load orders, and the number of git
// processes an update starts.
#include "analysis/git_order.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "analysis/analyzer.h"
#include "analysis/queries.h"
#include "util/subprocess.h"

namespace kci::analysis {
namespace {

namespace fs = std::filesystem;

class GitOrder : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!program_exists("git")) {
      if (const char* ci = std::getenv("CI"); ci && std::string(ci) == "true")
        FAIL() << "git is required under CI=true";
      GTEST_SKIP() << "no git";
    }
    char tmpl[] = "/tmp/kci-git-order-XXXXXX";
    dir_ = mkdtemp(tmpl);
    repo_ = dir_ + "/repo";
    git({"init", "-q", "-b", "master", repo_}, dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  std::string git(const std::vector<std::string>& args, const std::string& cwd = "") {
    std::vector<std::string> argv{"git"};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions o;
    o.cwd = cwd.empty() ? repo_ : cwd;
    o.env = {{"GIT_AUTHOR_NAME", "t"},
             {"GIT_AUTHOR_EMAIL", "t@example.org"},
             {"GIT_COMMITTER_NAME", "t"},
             {"GIT_COMMITTER_EMAIL", "t@example.org"},
             {"GIT_AUTHOR_DATE", "2026-11-01T00:00:00Z"},
             {"GIT_COMMITTER_DATE", "2026-11-01T00:00:00Z"}};
    return run_checked(argv, o);
  }
  // A commit on the current branch touching its own file; returns its hash.
  std::string commit(const std::string& name) {
    std::ofstream(repo_ + "/" + name) << name << "\n";
    git({"add", name});
    git({"commit", "-q", "-m", name});
    return git({"rev-parse", "HEAD"});
  }

  std::string dir_, repo_;
};

// Order keys of a linear branch and of a rebase: checkouts rebased away
// leave the line, the new tip's generation counts its ancestors.
TEST_F(GitOrder, KeysFollowAncestryAndARebaseDropsTheOldCommits) {
  std::string a = commit("a");
  std::string b = commit("b");
  git({"checkout", "-q", "-b", "next"});
  std::string x = commit("x");  // dropped by the rebase below
  git({"checkout", "-q", "master"});
  std::string u = commit("u");
  git({"checkout", "-q", "-b", "next2"});
  std::string r = commit("r");

  GitRepo repo(repo_);
  EXPECT_TRUE(repo.has(a));
  EXPECT_FALSE(repo.has("0123456789abcdef0123456789abcdef01234567"));
  EXPECT_FALSE(repo.has("not-a-hash"));
  // start_time says x is newest but b; a's checkout comes late.
  std::vector<BranchCheckout> cs = {{"cb", b, "2026-11-02", ""}, {"cx", x, "2026-11-03", ""}};
  auto changed = order_branch(repo, cs, {"cb", "cx"});
  EXPECT_EQ(changed.size(), 2u);
  EXPECT_EQ(cs[0].key, generation_key(2));
  EXPECT_EQ(cs[1].key, generation_key(3));
  // A late checkout of an ancestor: placed by ancestry, not time.
  cs.push_back({"ca", a, "2026-11-05", ""});
  // (its start_time makes it the newest: the new tip, containing neither x
  // nor b as descendants, so both leave the line)
  changed = order_branch(repo, cs, {"ca"});
  EXPECT_EQ(cs[2].key, generation_key(1));
  EXPECT_EQ(cs[0].key, "-");
  EXPECT_EQ(cs[1].key, "-");
  // The rebased branch (u, r on top of b): b is back on the line, x is not.
  cs.push_back({"cr", r, "2026-11-06", ""});
  changed = order_branch(repo, cs, {"cr"});
  EXPECT_EQ(cs[3].key, generation_key(4));
  EXPECT_EQ(cs[0].key, generation_key(2));
  EXPECT_EQ(cs[1].key, "-");
  EXPECT_EQ(cs[2].key, generation_key(1));
  // From scratch gives the same keys.
  std::vector<BranchCheckout> again = cs;
  for (auto& c : again) c.key.clear();
  order_branch(repo, again, {"ca", "cb", "cx", "cr"});
  for (std::size_t i = 0; i < cs.size(); ++i) EXPECT_EQ(again[i].key, cs[i].key) << cs[i].id;
  // A commit the repository lacks: ordered by time ("").
  cs.push_back({"cz", "0123456789abcdef0123456789abcdef01234567", "2026-11-07", ""});
  order_branch(repo, cs, {"cz"});
  EXPECT_EQ(cs[4].key, "");
  EXPECT_EQ(cs[3].key, generation_key(4));
  (void)u;
}

TEST(Repositories, ByUrlThenMonitorMirror) {
  char tmpl[] = "/tmp/kci-git-order-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  fs::create_directories(dir + "/mirrors/linux_next.git");
  Repositories r;
  r.by_url["https://example.org/a.git"] = "/repos/a";
  r.mirrors = dir + "/mirrors";
  EXPECT_EQ(r.find("https://example.org/a.git", "x"), "/repos/a");
  EXPECT_EQ(r.find("https://example.org/b.git", "linux/next"), dir + "/mirrors/linux_next.git");
  EXPECT_FALSE(r.find("https://example.org/b.git", "other"));
  fs::remove_all(dir);
}

// The analysis over a branch that was rebased: a store, the Analyzer with
// the repository, incremental updates in several orders against a rebuild.
struct Checkout {
  std::string id, commit, time, status;
};

report::Report report_of(const Checkout& c) {
  report::Report r;
  report::Checkout k;
  k.id = "o:" + c.id;
  k.origin = "o";
  k.tree_name = "t";
  k.git_repository_url = "https://example.org/t.git";
  k.git_repository_branch = "next";
  k.git_commit_hash = c.commit;
  k.git_commit_name = c.id;
  k.start_time = c.time;
  r.checkouts.push_back(k);
  report::Build b;
  b.id = "o:b-" + c.id;
  b.checkout_id = k.id;
  b.origin = "o";
  b.architecture = "x86_64";
  b.config_name = "defconfig";
  b.compiler = "gcc";
  b.status = "PASS";
  r.builds.push_back(b);
  report::Test t;
  t.id = "o:t-" + c.id;
  t.build_id = b.id;
  t.origin = "o";
  t.path = "boot";
  t.status = c.status;
  t.start_time = c.time;
  r.tests.push_back(t);
  return r;
}

ingest::ObjectsChanged event_of(const report::Report& r) {
  ingest::ObjectsChanged ev;
  for (const auto& c : r.checkouts) ev.checkouts.push_back(*c.id);
  for (const auto& b : r.builds) ev.builds.push_back(*b.id);
  for (const auto& t : r.tests) ev.tests.push_back(*t.id);
  return ev;
}

struct Db {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<store::SqlConnection> sql;
  std::unique_ptr<Analyzer> analyzer;
  Db(const std::string& path, const std::string& repo) {
    std::string spec = "sqlite:" + path;
    store = store::open_store(spec);
    store->init();
    sql = store::SqlConnection::open(store::parse_database_spec(spec));
    AnalysisOptions o;
    o.repositories.by_url["https://example.org/t.git"] = repo;
    analyzer = std::make_unique<Analyzer>(*store, *sql, o);
  }
  void load(const std::vector<Checkout>& cs) {
    report::Report all;
    for (const auto& c : cs) {
      report::Report r = report_of(c);
      for (auto& k : r.checkouts) all.checkouts.push_back(k);
      for (auto& b : r.builds) all.builds.push_back(b);
      for (auto& t : r.tests) all.tests.push_back(t);
    }
    store->load(all);
    analyzer->update(event_of(all));
  }
};

TEST_F(GitOrder, RebasedBranchIsComparedAgainstTheMergeBase) {
  std::string a = commit("a");
  git({"checkout", "-q", "-b", "old"});
  std::string x = commit("x");  // a broken commit, rebased away
  git({"checkout", "-q", "master"});
  std::string u = commit("u");
  std::string r1 = commit("r1");
  std::string r2 = commit("r2");
  std::string r3 = commit("r3");
  // The boot test: passes on a, fails on x (then x is dropped by a rebase
  // onto u), passes on r1, fails on r2 and r3. r1's checkout started before
  // x's (clocks, queues): only ancestry puts it after a.
  std::vector<Checkout> cs = {
      {"a", a, "2026-11-01T00:00:00Z", "PASS"},   {"r1", r1, "2026-11-01T12:00:00Z", "PASS"},
      {"x", x, "2026-11-02T00:00:00Z", "FAIL"},   {"r2", r2, "2026-11-03T00:00:00Z", "FAIL"},
      {"r3", r3, "2026-11-05T00:00:00Z", "FAIL"},
  };
  (void)u;
  auto expect_tables = [&](Db& db) {
    RegressionFilter f;
    f.all = true;
    auto regs = regressions(*db.sql, f);
    std::vector<std::string> boot;
    for (const auto& r : regs)
      if (r.identity.identity.path == "boot") boot.push_back(r.id);
    ASSERT_EQ(boot.size(), 1u) << "x's failure is off the line: one regression only";
    for (const auto& r : regs) {
      if (r.identity.identity.path != "boot") continue;
      EXPECT_TRUE(r.active);
      EXPECT_EQ(r.last_pass.checkout_id, "o:r1");
      EXPECT_EQ(r.first_fail.checkout_id, "o:r2");
      EXPECT_EQ(r.last_fail.checkout_id, "o:r3");
      EXPECT_EQ(r.summary, "failing since 2 days (last pass: r1, first fail: r2)");
    }
    auto id = identity_of(*db.sql, Kind::kTest, "o:t-r3");
    ASSERT_TRUE(id);
    auto h = history(*db.sql, *id);
    ASSERT_EQ(h.entries.size(), 5u);
    std::vector<std::string> order;
    for (const auto& e : h.entries)
      order.push_back(e.checkout_id + (e.order_key == "-" ? "-" : ""));
    // a, then x (off the line, sorted by its key "-"), r1, r2, r3 by generation.
    EXPECT_EQ(order, (std::vector<std::string>{"o:x-", "o:a", "o:r1", "o:r2", "o:r3"}));
    EXPECT_EQ(id->results, 4);
  };

  std::mt19937 rng(7);
  for (int round = 0; round < 4; ++round) {
    std::vector<Checkout> order = cs;
    if (round > 0) std::shuffle(order.begin(), order.end(), rng);
    Db db(dir_ + "/kci-" + std::to_string(round) + ".db", repo_);
    // One checkout per update, or (odd rounds) two batches.
    if (round % 2 == 0) {
      for (const auto& c : order) db.load({c});
    } else {
      db.load(std::vector<Checkout>(order.begin(), order.begin() + 2));
      db.load(std::vector<Checkout>(order.begin() + 2, order.end()));
    }
    SCOPED_TRACE("round " + std::to_string(round));
    expect_tables(db);
    std::string incremental = dump_tables(*db.sql);
    db.analyzer->rebuild();
    EXPECT_EQ(incremental, dump_tables(*db.sql));
    expect_tables(db);
  }
}

// A linear branch loaded one checkout at a time: each update asks git a
// bounded number of questions, whatever the length of the branch.
TEST_F(GitOrder, UpdatesAskGitAboutTheNewCheckoutOnly) {
  Db db(dir_ + "/kci.db", repo_);
  int before = 0;
  for (int i = 0; i < 12; ++i) {
    std::string h = commit("c" + std::to_string(i));
    char time[32];
    std::snprintf(time, sizeof time, "2026-11-01T%02d:00:00Z", i);
    db.load({{"c" + std::to_string(i), h, time, "PASS"}});
    int calls = db.analyzer->git_calls() - before;
    before = db.analyzer->git_calls();
    EXPECT_LE(calls, 3) << "checkout " << i;
  }
  auto id = identity_of(*db.sql, Kind::kTest, "o:t-c11");
  ASSERT_TRUE(id);
  auto h = history(*db.sql, *id);
  ASSERT_EQ(h.entries.size(), 12u);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(h.entries[i].checkout_id, "o:c" + std::to_string(i));
  EXPECT_EQ(h.entries.back().order_key, generation_key(12));
}

}  // namespace
}  // namespace kci::analysis
