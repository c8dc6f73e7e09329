// SPDX-License-Identifier: LGPL-2.1-or-later
// kci bisect --run: the command's exit status as git bisect run reads it,
// and whole bisections of a throw-away repository of 64 commits (commit 41
// adds the file the command fails on; commits 30-33 are untestable), in a
// test and a build bisection, and after a run killed -9 in the middle.
#include "bisect/command_step_runner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "bisect/test_repo.h"
#include "util/subprocess.h"

namespace kci::bisect {
namespace {

namespace fs = std::filesystem;
using test_repo::git;

// 64 commits on master: commit i adds file<i>.txt, commit 41 bad.txt;
// commits 30-33 have untestable.txt. HEAD is master (commit 63).
class Repo {
 public:
  Repo() {
    repo_ = dir_ + "/tree";
    fs::create_directories(repo_);
    git(repo_, {"init", "-q", "-b", "master"});
    // One git fast-import for the 64 commits (a git commit each takes
    // seconds on a loaded machine). Each commit adds a file of its own, so
    // that the culprit reverts cleanly on the last one.
    std::string stream;
    auto blob = [](const std::string& path, const std::string& data) {
      return "M 100644 inline " + path + "\ndata " + std::to_string(data.size()) + "\n" + data +
             "\n";
    };
    for (int i = 0; i < 64; ++i) {
      std::string message = "commit " + std::to_string(i) + "\n";
      stream += "commit refs/heads/master\nmark :" + std::to_string(i + 1) +
                "\ncommitter Test Author <author@example.org> 1764547200 +0000\ndata " +
                std::to_string(message.size()) + "\n" + message;
      if (i > 0) stream += "from :" + std::to_string(i) + "\n";
      stream += blob("file" + std::to_string(i) + ".txt", std::to_string(i) + "\n");
      if (i == 41) stream += blob("bad.txt", "broken\n");
      if (i == 30) stream += blob("untestable.txt", "cannot test\n");
      if (i == 34) stream += "D untestable.txt\n";
      stream += "\n";
    }
    RunOptions o;
    o.stdin_data = stream;
    run_checked({"git", "-C", repo_, "fast-import", "--quiet"}, o);
    git(repo_, {"checkout", "-q", "-f", "master"});
    std::string log = git(repo_, {"log", "--reverse", "--format=%H", "master"});
    for (std::size_t start = 0; start < log.size();) {
      std::size_t end = log.find('\n', start);
      if (end == std::string::npos) end = log.size();
      commits_.push_back(log.substr(start, end - start));
      start = end + 1;
    }
  }
  const std::string& dir() const { return dir_; }    // scratch space beside the tree
  const std::string& tree() const { return repo_; }  // the git work tree
  const std::string& commit(int i) const { return commits_[static_cast<std::size_t>(i)]; }

 private:
  test_repo::ScratchDir scratch_{"kci-bisect-run"};
  const std::string& dir_ = scratch_.path();
  std::string repo_;
  std::vector<std::string> commits_;
};

const char* const kCommand =
    "if [ -e untestable.txt ]; then exit 125; fi; if [ -e bad.txt ]; then exit 1; fi";

CommandStepOptions options_for(const Repo& repo, const std::string& command) {
  CommandStepOptions o;
  o.source_dir = repo.tree();
  o.command = command;
  o.progress = false;
  return o;
}

TEST(CommandStepRunner, ExitStatusAsGitBisectRunReadsIt) {
  Repo repo;
  auto status_of = [&](const std::string& command) {
    CommandStepOptions o = options_for(repo, command);
    o.timeout = std::chrono::milliseconds(300);
    return CommandStepRunner(o).run(repo.commit(63));
  };
  // Each command, the status it gives, and a part of its detail ("" for
  // any); exact: the detail is that part and nothing more.
  struct Case {
    std::string command;
    Status status;
    std::string detail;
    bool exact;
  };
  const std::vector<Case> cases = {
      {"exit 0", Status::kPass, "", false},
      {"exit 1", Status::kFail, "", false},
      {"exit 124", Status::kFail, "", false},
      {"exit 126", Status::kFail, "", false},
      {"no-such-command-anywhere", Status::kFail, "", false},  // sh: 127
      {"echo cannot build this one; exit 125", Status::kSkip,
       "untestable (exit 125): cannot build this one", true},
      {"exit 128", Status::kError, "exit 128", false},
      {"exit 255", Status::kError, "", false},
      {"kill -9 $$", Status::kError, "killed by signal 9", true},
      {"sleep 5", Status::kError, "timed out", false},
      // In the tree, told the commit and the mode.
      {"test -f file63.txt && test \"$KCI_BISECT_COMMIT\" = " + repo.commit(63) +
           " && test \"$KCI_BISECT_MODE\" = test",
       Status::kPass, "", false},
  };
  for (const Case& c : cases) {
    auto outcome = status_of(c.command);
    EXPECT_EQ(outcome.status, c.status) << c.command;
    if (c.exact) {
      EXPECT_EQ(outcome.detail, c.detail) << c.command;
    } else {
      EXPECT_NE(outcome.detail.find(c.detail), std::string::npos)
          << c.command << ": " << outcome.detail;
    }
  }
}

TEST(CommandStepRunner, TestModeRunsTheCommandAsTheTest) {
  Repo repo;
  CommandStepRunner runner(options_for(repo, "exit 1"));
  EXPECT_EQ(runner.build(repo.commit(63)).status, Status::kPass);  // nothing to build
  TestOutcome t = runner.test(repo.commit(63));
  EXPECT_EQ(t.status, Status::kFail);
  EXPECT_FALSE(t.untestable);
  CommandStepRunner skipper(options_for(repo, "exit 125"));
  EXPECT_TRUE(skipper.test(repo.commit(63)).untestable);
}

void expect_found_41(const Repo& repo, const BisectResult& r) {
  EXPECT_EQ(r.status, "found");
  ASSERT_TRUE(r.culprit.has_value());
  EXPECT_EQ(r.culprit->hash, repo.commit(41));
  EXPECT_EQ(r.verify.result, "PASS") << r.verify.detail;
  EXPECT_EQ(r.revert.result, "PASS") << r.revert.detail;
  // The user's branch is back, nothing is left of the bisection.
  EXPECT_EQ(git(repo.tree(), {"symbolic-ref", "HEAD"}), "refs/heads/master");
  EXPECT_EQ(git(repo.tree(), {"status", "--porcelain"}), "");
  EXPECT_FALSE(fs::exists(repo.tree() + "/.git/BISECT_START"));
  EXPECT_FALSE(fs::exists(repo.tree() + "/.git/kci-bisect.state"));
}

TEST(CommandStepRunner, BisectsATestWithUntestableCommits) {
  Repo repo;
  CommandStepRunner runner(options_for(repo, kCommand));
  BisectOptions options;
  options.check_runs = 2;
  BisectResult r = Bisector(repo.tree(), runner, options).run(repo.commit(0), "master");
  expect_found_41(repo, r);
  // The first midpoint is untestable: skipped at once, one run, no retry.
  int untestable = 0;
  for (const auto& s : r.steps) {
    if (s.stage == "bisect" && s.verdict == Verdict::kSkip) {
      ++untestable;
      ASSERT_EQ(s.runs.size(), 1u) << s.commit;
      EXPECT_TRUE(s.runs[0].untestable);
    }
  }
  EXPECT_GE(untestable, 1);
  EXPECT_EQ(r.steps[0].runs.size(), 2u);  // the endpoints: max(runs, check runs)
}

TEST(CommandStepRunner, BisectsABuild) {
  Repo repo;
  CommandStepOptions o =
      options_for(repo, kCommand + std::string("; test \"$KCI_BISECT_MODE\" = build"));
  o.build_only = true;
  CommandStepRunner runner(o);
  BisectOptions options;
  options.build_only = true;
  BisectResult r = Bisector(repo.tree(), runner, options).run(repo.commit(0), repo.commit(63));
  expect_found_41(repo, r);
  for (const auto& s : r.steps) {
    EXPECT_TRUE(s.runs.empty()) << s.stage;
    if (s.build.status == Status::kSkip) {
      EXPECT_EQ(s.build_attempts, 1) << "untestable: no retry";
    }
  }
}

TEST(CommandStepRunner, UntestableEndpointAborts) {
  Repo repo;
  CommandStepRunner runner(options_for(repo, kCommand));
  BisectResult r = Bisector(repo.tree(), runner, {}).run(repo.commit(31), repo.commit(63));
  EXPECT_EQ(r.status, "aborted");
}

TEST(CommandStepRunner, InfrastructureFailuresAreRetriedThenSkipped) {
  Repo repo;
  // Commit 20 crashes the "machine" (exit 200) every time: never good or bad.
  std::string command =
      std::string("if test -e file20.txt && ! test -e file21.txt; then exit 200; fi; ") + kCommand;
  CommandStepRunner runner(options_for(repo, command));
  BisectOptions options;
  options.infra_retries = 2;
  BisectResult r = Bisector(repo.tree(), runner, options).run(repo.commit(0), repo.commit(63));
  EXPECT_EQ(r.status, "found");
  ASSERT_TRUE(r.culprit.has_value());
  EXPECT_EQ(r.culprit->hash, repo.commit(41));
}

// A run killed -9 in the middle of git bisect, with its command still
// running: the next run puts the tree back and finds the culprit.
TEST(CommandStepRunner, RecoversATreeLeftByAKilledRun) {
  Repo repo;
  std::string count = repo.dir() + "/count";
  std::string pidfile = repo.dir() + "/orphan.pid";
  // The sixth run (a bisection step) kills kci (its parent) and lives on.
  std::string command = "n=$(cat " + count + " 2>/dev/null || echo 0); n=$((n + 1)); echo $n >" +
                        count + "; if [ $n = 6 ]; then echo $$ >" + pidfile +
                        "; kill -9 $PPID; exec sleep 30; fi; " + kCommand;
  BisectOptions options;
  options.check_runs = 1;
  std::fflush(nullptr);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      CommandStepRunner runner(options_for(repo, command));
      Bisector(repo.tree(), runner, options).run(repo.commit(0), "master");
    } catch (...) {
    }
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  // Left mid-bisection: detached, git bisect started, the command alive.
  EXPECT_NE(run_process({"git", "-C", repo.tree(), "symbolic-ref", "-q", "HEAD"}).exit_code, 0);
  EXPECT_TRUE(fs::exists(repo.tree() + "/.git/BISECT_START"));
  EXPECT_TRUE(fs::exists(repo.tree() + "/.git/kci-bisect.state"));
  std::string orphan;
  {
    std::ifstream in(pidfile);
    in >> orphan;
  }
  ASSERT_FALSE(orphan.empty());
  EXPECT_EQ(::kill(std::stoi(orphan), 0), 0) << "the dead run's command is still running";

  CommandStepRunner runner(options_for(repo, kCommand));
  BisectResult r = Bisector(repo.tree(), runner, options).run(repo.commit(0), "master");
  expect_found_41(repo, r);
  // The orphan was killed (a zombie until init reaps it, or gone).
  std::ifstream stat("/proc/" + orphan + "/stat");
  std::string line;
  std::getline(stat, line);
  auto state = line.find(") ");
  EXPECT_TRUE(line.empty() || (state != std::string::npos && line[state + 2] == 'Z')) << line;
}

TEST(CommandStepRunner, OneBisectionAtATimeInATree) {
  Repo repo;
  int fd =
      ::open((repo.tree() + "/.git/kci-bisect.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  CommandStepRunner runner(options_for(repo, kCommand));
  try {
    Bisector(repo.tree(), runner, {}).run(repo.commit(0), "master");
    ADD_FAILURE() << "a second bisection ran in a locked tree";
  } catch (const BisectError& e) {
    EXPECT_NE(std::string(e.what()).find("another kci bisect is running"), std::string::npos)
        << e.what();
  }
  ::close(fd);
  EXPECT_EQ(git(repo.tree(), {"symbolic-ref", "HEAD"}), "refs/heads/master");
}

}  // namespace
}  // namespace kci::bisect
