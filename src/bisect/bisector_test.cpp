// SPDX-License-Identifier: LGPL-2.1-or-later
// The bisection engine over a real git repository of ~30 commits, with a
// scripted StepRunner that reads the checked-out tree: a file's contents
// decide whether the "kernel" builds and whether the "test" fails, so every
// verdict comes from what git really checked out.
#include "bisect/bisector.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "bisect/command_step_runner.h"
#include "bisect/test_repo.h"
#include "util/subprocess.h"

namespace kci::bisect {
namespace {

namespace fs = std::filesystem;
using test_repo::git;
using test_repo::read;

class TempRepo {
 public:
  TempRepo() { git(dir_, {"init", "-q", "-b", "master"}); }
  const std::string& dir() const { return dir_; }

  // Commits `file` with `content`; returns the hash.
  std::string commit(const std::string& file, const std::string& content,
                     const std::string& subject, const std::string& body = "") {
    std::ofstream(dir_ + "/" + file) << content;
    git(dir_, {"add", file});
    git(dir_, {"commit", "-q", "-m", subject + (body.empty() ? "" : "\n\n" + body)});
    return git(dir_, {"rev-parse", "HEAD"});
  }

 private:
  test_repo::ScratchDir scratch_{"kci-bisect-test"};
  const std::string& dir_ = scratch_.path();
};

// "Builds" by reading build.txt (NOBUILD: FAIL, ERROR-ONCE: an error the
// first time) and "tests" by reading state.txt (BROKEN: FAIL; FLAKY: FAIL
// half of the time from a seeded generator), in the checked-out tree.
class ScriptedRunner : public StepRunner {
 public:
  explicit ScriptedRunner(std::string repo) : repo_(std::move(repo)) {}

  BuildOutcome build(const std::string& commit) override {
    ++builds;
    BuildOutcome b;
    b.seconds = 0.001;
    std::string build = read(repo_ + "/build.txt");
    std::string head = kci::run_checked({"git", "-C", repo_, "rev-parse", "HEAD"});
    EXPECT_EQ(head, commit) << "the runner must build what is checked out";
    if (build.find("NOBUILD") != std::string::npos) {
      b.status = Status::kFail;
      b.reason = "compile error";
      return b;
    }
    b.status = Status::kPass;
    // The "image": what changes the kernel. build.txt's BUILD-NOISE lines
    // do not, so commits that only touch them give identical images.
    b.image_digest = read(repo_ + "/state.txt");
    return b;
  }

  TestOutcome test(const std::string& commit) override {
    ++tests;
    TestOutcome t;
    t.seconds = 0.001;
    if (infra_at.count(commit) && infra_left[commit]-- > 0) {
      t.status = Status::kError;
      t.detail = "QEMU killed";
      return t;
    }
    std::string state = read(repo_ + "/state.txt");
    if (state.find("FLAKY") != std::string::npos) {
      t.status = std::bernoulli_distribution(0.5)(rng) ? Status::kFail : Status::kPass;
    } else {
      // harness.txt is read by the test only: it never changes the image.
      std::string harness = read(repo_ + "/harness.txt");
      bool broken =
          state.find("BROKEN") != std::string::npos || harness.find("BROKEN") != std::string::npos;
      t.status = broken ? Status::kFail : Status::kPass;
    }
    return t;
  }

  std::set<std::string> infra_at;
  std::map<std::string, int> infra_left;
  std::mt19937 rng{42};
  int builds = 0, tests = 0;

 private:
  std::string repo_;
};

struct History {
  std::vector<std::string> commits;  // oldest first; [0] is good
  std::string culprit;
};

// One commit of a scripted history: the files it writes.
struct Change {
  std::string subject;
  std::vector<std::pair<std::string, std::string>> files;
  std::string body;
};

// Writes the commits onto master in one `git fast-import` (hundreds of git
// processes would make the tests slow) and returns their hashes.
std::vector<std::string> import(TempRepo& repo, const std::vector<Change>& changes) {
  std::string stream;
  int mark = 0;
  bool first =
      !run_process({"git", "-C", repo.dir(), "rev-parse", "--verify", "--quiet", "HEAD"}).ok();
  for (const auto& c : changes) {
    std::string message = c.subject + (c.body.empty() ? "" : "\n\n" + c.body) + "\n";
    stream += "commit refs/heads/master\nmark :" + std::to_string(++mark) + "\n" +
              "author Test Author <author@example.org> 1764547200 +0000\n"
              "committer Test Author <author@example.org> 1764547200 +0000\n" +
              "data " + std::to_string(message.size()) + "\n" + message;
    if (mark == 1 && !first) stream += "from refs/heads/master^0\n";
    for (const auto& [name, content] : c.files) {
      stream += "M 100644 inline " + name + "\ndata " + std::to_string(content.size()) + "\n" +
                content + "\n";
    }
  }
  RunOptions options;
  options.stdin_data = stream;
  run_checked({"git", "-C", repo.dir(), "fast-import", "--quiet"}, options);
  git(repo.dir(), {"checkout", "-q", "-f", "master"});
  std::vector<std::string> hashes;
  for (int i = 1; i <= mark; ++i) {
    std::string rev = "master~" + std::to_string(mark - i);
    hashes.push_back(git(repo.dir(), {"rev-parse", rev}));
  }
  return hashes;
}

// A good commit and 30 on top; commit `bad_at` (1-based) writes `marker`
// into state.txt; commit `nobuild_at` breaks the build for one commit. The
// other commits each add a file of their own, as unrelated patches do.
History make_history(TempRepo& repo, const std::string& marker, int bad_at, int nobuild_at = -1) {
  std::vector<Change> changes;
  changes.push_back({"base", {{"state.txt", "ok\n"}, {"build.txt", "ok\n"}}, ""});
  for (int i = 1; i <= 30; ++i) {
    if (i == bad_at) {
      changes.push_back({"drivers: change " + std::to_string(i),
                         {{"state.txt", "ok\n" + marker + "\n"}},
                         "Signed-off-by: Culprit Author <culprit@example.org>\n"
                         "Reviewed-by: Reviewer <reviewer@example.org>"});
    } else if (i == nobuild_at) {
      changes.push_back({"broken build " + std::to_string(i), {{"build.txt", "NOBUILD\n"}}, ""});
    } else if (i == nobuild_at + 1) {
      changes.push_back({"fixed build " + std::to_string(i), {{"build.txt", "ok\n"}}, ""});
    } else {
      changes.push_back({"change " + std::to_string(i),
                         {{"changes/" + std::to_string(i) + ".txt", std::to_string(i) + "\n"}},
                         ""});
    }
  }
  History h;
  h.commits = import(repo, changes);
  if (bad_at >= 1) h.culprit = h.commits[bad_at];
  return h;
}

int ceil_log2(int n) { return static_cast<int>(std::ceil(std::log2(n))); }

TEST(Bisector, FindsTheCulpritWithChecks) {
  TempRepo repo;
  History h = make_history(repo, "BROKEN", 17);
  std::string before = git(repo.dir(), {"symbolic-ref", "--short", "HEAD"});
  ScriptedRunner runner(repo.dir());
  Bisector bisector(repo.dir(), runner, BisectOptions{});
  BisectResult r = bisector.run(h.commits.front(), h.commits.back());
  ASSERT_EQ(r.status, "found") << result_summary(r);
  ASSERT_TRUE(r.culprit);
  EXPECT_EQ(r.culprit->hash, h.culprit);
  EXPECT_EQ(r.culprit->subject, "drivers: change 17");
  EXPECT_EQ(r.culprit->author, "Test Author <author@example.org>");
  EXPECT_EQ(r.culprit->trailers,
            (std::vector<std::string>{"Signed-off-by: Culprit Author <culprit@example.org>",
                                      "Reviewed-by: Reviewer <reviewer@example.org>"}));
  EXPECT_EQ(r.verify.result, "PASS") << r.verify.detail;
  EXPECT_EQ(r.revert.result, "PASS") << r.revert.detail;
  EXPECT_FALSE(r.identical_image);
  EXPECT_FALSE(r.flaky);
  EXPECT_DOUBLE_EQ(r.confidence, 1.0);
  EXPECT_LE(r.bisect_steps, ceil_log2(r.commits_in_range));
  EXPECT_NE(r.bisect_log.find("# first bad commit: [" + h.culprit), std::string::npos)
      << r.bisect_log;
  // The tree is back where it was, with no bisection left behind.
  EXPECT_EQ(git(repo.dir(), {"symbolic-ref", "--short", "HEAD"}), before);
  EXPECT_EQ(git(repo.dir(), {"status", "--porcelain"}), "");
  // The JSON carries the same answer.
  std::string json = result_json(r);
  EXPECT_NE(json.find("\"commit\": \"" + h.culprit + "\""), std::string::npos);
  EXPECT_NE(result_summary(r).find("checks: revert: PASS"), std::string::npos);
  // Every step's line has its time, split into build, test and kci's own;
  // the total's kci part names what git took of it.
  EXPECT_NE(result_summary(r).find("s (build 0.0s, test 0.0s, kci "), std::string::npos)
      << result_summary(r);
  EXPECT_GT(r.git_seconds, 0);
  EXPECT_LE(r.git_seconds, r.kci_seconds());
  EXPECT_NE(json.find("\"git\": "), std::string::npos);
}

TEST(Bisector, GoodFailsAndBadPassesStopCleanly) {
  TempRepo repo;
  History h = make_history(repo, "BROKEN", 17);
  ScriptedRunner runner(repo.dir());
  Bisector bisector(repo.dir(), runner, BisectOptions{});
  // Both endpoints after the culprit: the "good" one fails.
  BisectResult r = bisector.run(h.commits[20], h.commits.back());
  EXPECT_EQ(r.status, "good-fails");
  EXPECT_FALSE(r.culprit);
  // It stops there: the bad commit is not built.
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_EQ(r.steps[0].stage, "verify-good");
  // Both before it: the "bad" one passes.
  r = bisector.run(h.commits[0], h.commits[10]);
  EXPECT_EQ(r.status, "bad-passes");
  EXPECT_EQ(r.bisect_steps, 0);
  EXPECT_EQ(git(repo.dir(), {"status", "--porcelain"}), "");
}

TEST(Bisector, BuildFailuresAreSkippedInATestBisection) {
  TempRepo repo;
  // The build is broken at 15 and fixed at 16; the culprit is 17.
  History h = make_history(repo, "BROKEN", 17, 15);
  ScriptedRunner runner(repo.dir());
  BisectResult r =
      Bisector(repo.dir(), runner, BisectOptions{}).run(h.commits.front(), h.commits.back());
  ASSERT_EQ(r.status, "found") << result_summary(r);
  EXPECT_EQ(r.culprit->hash, h.culprit);
}

TEST(Bisector, BuildBisectionTakesTheBuildAsTheVerdict) {
  TempRepo repo;
  std::vector<Change> changes = {{"base", {{"build.txt", "ok\n"}, {"state.txt", "ok\n"}}, ""}};
  for (int i = 1; i <= 20; ++i) {
    if (i == 9) {
      changes.push_back({"arm64: break the build", {{"build.txt", "NOBUILD\n"}}, ""});
    } else {
      changes.push_back(
          {"change " + std::to_string(i), {{"changes/" + std::to_string(i), "x\n"}}, ""});
    }
  }
  std::vector<std::string> commits = import(repo, changes);
  ScriptedRunner runner(repo.dir());
  BisectOptions options;
  options.build_only = true;
  BisectResult r = Bisector(repo.dir(), runner, options).run(commits.front(), commits.back());
  ASSERT_EQ(r.status, "found") << result_summary(r);
  EXPECT_EQ(r.culprit->hash, commits[9]);
  EXPECT_EQ(r.verify.result, "PASS");
  EXPECT_EQ(r.revert.result, "PASS");
  EXPECT_EQ(runner.tests, 0);
}

TEST(Bisector, AFlakyFailureIsBisectedRightWithMoreRuns) {
  TempRepo repo;
  History h = make_history(repo, "FLAKY", 12);
  ScriptedRunner runner(repo.dir());
  BisectOptions options;
  options.max_runs = 10;
  BisectResult r = Bisector(repo.dir(), runner, options).run(h.commits.front(), h.commits.back());
  ASSERT_EQ(r.status, "found") << result_summary(r);
  EXPECT_TRUE(r.flaky);
  EXPECT_EQ(r.runs_per_step, 10);
  EXPECT_EQ(r.culprit->hash, h.culprit) << result_summary(r);
  EXPECT_GT(r.reproduce_chance, 0.2);
  EXPECT_LT(r.reproduce_chance, 0.8);
  EXPECT_GT(r.confidence, 0.66) << result_summary(r);
  EXPECT_LT(r.confidence, 1.0);
  EXPECT_EQ(r.verify.result, "PASS") << r.verify.detail;
}

TEST(Bisector, InfrastructureFailuresAreRetriedNotCounted) {
  TempRepo repo;
  History h = make_history(repo, "BROKEN", 17);
  ScriptedRunner runner(repo.dir());
  // The first step of the bisection is at the middle of the range: QEMU is
  // killed twice there (retried), and on commit 8 more often than the
  // retries allow (skipped).
  for (int i = 0; i < static_cast<int>(h.commits.size()); ++i) {
    runner.infra_at.insert(h.commits[i]);
    runner.infra_left[h.commits[i]] = i == 8 ? 100 : 2;
  }
  BisectResult r =
      Bisector(repo.dir(), runner, BisectOptions{}).run(h.commits.front(), h.commits.back());
  ASSERT_EQ(r.status, "found") << result_summary(r);
  EXPECT_EQ(r.culprit->hash, h.culprit);
  for (const auto& s : r.steps) {
    if (s.commit == h.commits[8]) {
      EXPECT_EQ(s.verdict, Verdict::kSkip);
    }
  }
}

TEST(Bisector, ARebasedBranchStartsFromTheMergeBase) {
  TempRepo repo;
  History h = make_history(repo, "BROKEN", 17);
  // The old good commit lives on a branch that was rebased away.
  git(repo.dir(), {"checkout", "-q", "-b", "old", h.commits[5]});
  std::string old_good = repo.commit("other.txt", "old\n", "old branch commit");
  git(repo.dir(), {"checkout", "-q", "master"});
  ScriptedRunner runner(repo.dir());
  BisectResult r = Bisector(repo.dir(), runner, BisectOptions{}).run(old_good, h.commits.back());
  ASSERT_EQ(r.status, "found") << result_summary(r);
  EXPECT_TRUE(r.rebased);
  EXPECT_EQ(r.start, h.commits[5]);
  EXPECT_EQ(r.culprit->hash, h.culprit);
}

TEST(Bisector, ARevertConflictIsReportedAsSuch) {
  TempRepo repo;
  History h = make_history(repo, "BROKEN", 17);
  // A later commit rewrites the culprit's line, so it cannot be reverted on
  // its own.
  std::string bad = repo.commit("state.txt", "ok\nBROKEN and more\n", "touch the same line");
  ScriptedRunner runner(repo.dir());
  BisectResult r = Bisector(repo.dir(), runner, BisectOptions{}).run(h.commits.front(), bad);
  ASSERT_EQ(r.status, "found") << result_summary(r);
  EXPECT_EQ(r.culprit->hash, h.culprit);
  EXPECT_EQ(r.revert.result, "conflict");
  EXPECT_EQ(git(repo.dir(), {"status", "--porcelain"}), "");
}

TEST(Bisector, AnIdenticalImageIsFlagged) {
  TempRepo repo;
  std::vector<Change> changes = {{"base", {{"build.txt", "ok\n"}, {"state.txt", "ok\n"}}, ""}};
  for (int i = 1; i <= 12; ++i) {
    // Commit 9 changes what the test sees but not the kernel image: a
    // bisection that lands there is suspect.
    if (i == 9) {
      changes.push_back({"test harness change", {{"harness.txt", "BROKEN\n"}}, ""});
    } else {
      changes.push_back(
          {"change " + std::to_string(i), {{"state.txt", "ok " + std::to_string(i) + "\n"}}, ""});
    }
  }
  std::vector<std::string> commits = import(repo, changes);
  ScriptedRunner runner(repo.dir());
  BisectResult r =
      Bisector(repo.dir(), runner, BisectOptions{}).run(commits.front(), commits.back());
  ASSERT_EQ(r.status, "found") << result_summary(r);
  EXPECT_EQ(r.culprit->hash, commits[9]);
  EXPECT_TRUE(r.identical_image);
  EXPECT_NE(result_summary(r).find("identical to its parent's"), std::string::npos);
}

// A stop in the middle of `git bisect`, while a step's command runs (a
// kernel build of minutes): the command is killed, the tree put back on
// its branch, and run() throws BisectInterrupted within a second or two.
TEST(Bisector, AStopKillsTheRunningStepAndPutsTheTreeBack) {
  TempRepo repo;
  History h = make_history(repo, "BROKEN", 17);
  test_repo::ScratchDir scratch_dir("kci-bisect-stop");
  const std::string& scratch = scratch_dir.path();
  // Build bisection: state.txt's BROKEN fails the "build". The fifth
  // build (the third step of the bisection proper) sleeps, its pid kept.
  CommandStepOptions o;
  o.source_dir = repo.dir();
  o.build_only = true;
  o.progress = false;
  o.command = "n=$(cat " + scratch + "/count 2>/dev/null || echo 0); echo $((n + 1)) > " + scratch +
              "/count; if [ \"$n\" -ge 4 ]; then sleep 60 & echo $! > " + scratch +
              "/sleep.pid; wait; fi; ! grep -q BROKEN state.txt";
  CommandStepRunner runner(o);
  std::atomic<bool> stop{false};
  BisectOptions options;
  options.build_only = true;
  options.stop = &stop;
  std::thread stopper([&] {
    for (int i = 0; i < 600 && !fs::exists(scratch + "/sleep.pid"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop = true;
  });
  Bisector bisector(repo.dir(), runner, options);
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(bisector.run(h.commits.front(), h.commits.back()), BisectInterrupted);
  // Not the 60 s of the sleep: it was killed.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  stopper.join();
  ASSERT_TRUE(fs::exists(scratch + "/sleep.pid"));
  EXPECT_EQ(read(scratch + "/count"), "5\n");
  // The sleep of the step is gone (or a zombie awaiting its reaper).
  std::string pid = read(scratch + "/sleep.pid");
  pid.erase(pid.find_last_not_of("\n") + 1);
  std::string status = read("/proc/" + pid + "/status");
  EXPECT_TRUE(status.empty() || status.find("State:\tZ") != std::string::npos) << status;
  EXPECT_EQ(git(repo.dir(), {"symbolic-ref", "--short", "HEAD"}), "master");
  EXPECT_EQ(git(repo.dir(), {"rev-parse", "HEAD"}), h.commits.back());
  EXPECT_FALSE(fs::exists(repo.dir() + "/.git/BISECT_START"));
  EXPECT_FALSE(fs::exists(repo.dir() + "/.git/kci-bisect.state"));
  EXPECT_FALSE(recover_interrupted(repo.dir()));
}

// What a run killed -9 leaves (the state file, git bisect started, another
// commit checked out) is put back by recover_interrupted() before any
// bisection: kci run does it at its start, before its builds use the tree.
TEST(Bisector, RecoverInterruptedPutsBackWhatAKilledRunLeft) {
  TempRepo repo;
  History h = make_history(repo, "BROKEN", 17);
  EXPECT_FALSE(recover_interrupted(repo.dir()));
  git(repo.dir(), {"bisect", "start", h.commits.back(), h.commits.front()});
  std::ofstream(repo.dir() + "/.git/kci-bisect.state")
      << "original master\npid 999999999\ntoken kci-test-no-such-token\n";
  ASSERT_NE(git(repo.dir(), {"rev-parse", "HEAD"}), h.commits.back());
  EXPECT_TRUE(recover_interrupted(repo.dir()));
  EXPECT_EQ(git(repo.dir(), {"symbolic-ref", "--short", "HEAD"}), "master");
  EXPECT_EQ(git(repo.dir(), {"rev-parse", "HEAD"}), h.commits.back());
  EXPECT_FALSE(fs::exists(repo.dir() + "/.git/BISECT_START"));
  EXPECT_FALSE(fs::exists(repo.dir() + "/.git/kci-bisect.state"));
}

TEST(Bisector, RefusesADirtyTreeAndUnknownCommits) {
  TempRepo repo;
  History h = make_history(repo, "BROKEN", 3);
  ScriptedRunner runner(repo.dir());
  Bisector bisector(repo.dir(), runner, BisectOptions{});
  EXPECT_THROW(bisector.run("no-such-commit", h.commits.back()), BisectError);
  std::ofstream(repo.dir() + "/state.txt") << "dirty\n";
  EXPECT_THROW(bisector.run(h.commits.front(), h.commits.back()), BisectError);
}

}  // namespace
}  // namespace kci::bisect
