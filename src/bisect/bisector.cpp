// SPDX-License-Identifier: LGPL-2.1-or-later
#include "bisect/bisector.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "report/json.h"
#include "util/file.h"
#include "util/log.h"
#include "util/subprocess.h"

namespace kci::bisect {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// git in English, never prompting.
RunOptions git_options() {
  RunOptions options;
  options.env = {{"LC_ALL", "C"}, {"GIT_TERMINAL_PROMPT", "0"}};
  options.timeout = std::chrono::minutes(10);
  return options;
}

bool is_signal(Status status) { return status == Status::kPass || status == Status::kFail; }

struct Counts {
  int pass = 0, fail = 0, infra = 0;
  int valid() const { return pass + fail; }
};

Counts count(const std::vector<TestOutcome>& runs) {
  Counts c;
  for (const auto& r : runs) {
    if (r.status == Status::kPass) {
      ++c.pass;
    } else if (r.status == Status::kFail) {
      ++c.fail;
    } else {
      ++c.infra;
    }
  }
  return c;
}

// The lines of text, without the newline.
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool is_hash(std::string_view word) {
  return word.size() == 40 && std::all_of(word.begin(), word.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c));
         });
}

// The lock of a tree a Bisector works in: flock on a file of the git
// directory, held until the object dies (or the process: the kernel drops
// it on kill -9). Not inherited by the processes the Bisector starts.
class TreeLock {
 public:
  TreeLock(const std::string& path, const std::string& state_path, const std::string& repo) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw BisectError(path + ": cannot open: " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      ::close(fd_);
      if (err != EWOULDBLOCK) throw BisectError(path + ": flock: " + std::strerror(err));
      std::string pid;
      try {
        for (const auto& line : lines_of(read_file(state_path, 4096))) {
          if (line.rfind("pid ", 0) == 0) pid = " (pid " + line.substr(4) + ")";
        }
      } catch (const Error&) {
      }
      throw BisectError("another kci bisect is running in " + repo + pid + ", " + path +
                        " is locked");
    }
  }
  ~TreeLock() { ::close(fd_); }
  TreeLock(const TreeLock&) = delete;
  TreeLock& operator=(const TreeLock&) = delete;

 private:
  int fd_ = -1;
};

// A token no other run has: the pid, the time and 64 random bits.
std::string make_token() {
  std::random_device rd;
  char text[64];
  std::snprintf(text, sizeof text, "%d-%lld-%08x%08x", static_cast<int>(::getpid()),
                static_cast<long long>(std::chrono::system_clock::now().time_since_epoch() /
                                       std::chrono::milliseconds(1)),
                rd(), rd());
  return text;
}

// The processes (not this one) whose environment holds the whole entry
// KCI_BISECT_RUN=token, and whether each is a git command. Processes of
// other users cannot be read and are not ours.
struct TokenProcess {
  pid_t pid;
  bool git;
};
std::vector<TokenProcess> processes_of(const std::string& token) {
  const std::string needle = "KCI_BISECT_RUN=" + token;
  std::vector<TokenProcess> out;
  DIR* proc = ::opendir("/proc");
  if (!proc) return out;
  while (dirent* e = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0' || pid == ::getpid()) continue;
    std::string env;
    try {
      env = read_file(std::string("/proc/") + e->d_name + "/environ");
    } catch (const Error&) {
      continue;
    }
    // Entries are NUL-terminated: match a whole one.
    for (std::size_t pos = 0; pos < env.size();) {
      std::size_t stop = env.find('\0', pos);
      if (stop == std::string::npos) stop = env.size();
      if (env.compare(pos, stop - pos, needle) == 0) {
        std::string comm;
        try {
          comm = read_file(std::string("/proc/") + e->d_name + "/comm", 64);
        } catch (const Error&) {
        }
        out.push_back({static_cast<pid_t>(pid), comm.rfind("git", 0) == 0});
        break;
      }
      pos = stop + 1;
    }
  }
  ::closedir(proc);
  return out;
}

// Ends the processes whose environment holds KCI_BISECT_RUN=token (the
// steps and git commands of a dead run, orphaned): SIGKILLs the steps and
// waits for git commands to end (git killed in the middle of one leaves its
// lock files, index.lock, packed-refs.lock..., and every later git command
// in the tree fails), for 30 seconds at most, then kills them too.
// Returns how many were killed.
int end_processes_of(const std::string& token) {
  int killed = 0;
  for (int round = 0; round < 300; ++round) {
    std::vector<TokenProcess> found = processes_of(token);
    if (found.empty()) break;
    for (const TokenProcess& p : found) {
      if ((!p.git || round >= 299) && ::kill(p.pid, SIGKILL) == 0) ++killed;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return killed;
}

// One pass of end_processes_of for a live run being stopped: SIGKILLs the
// processes of `token` that are not git (a step's make, compilers, QEMU,
// the --run command and its children); its git commands are let finish.
int kill_steps_of(const std::string& token) {
  int killed = 0;
  for (const TokenProcess& p : processes_of(token)) {
    if (!p.git && ::kill(p.pid, SIGKILL) == 0) ++killed;
  }
  return killed;
}

// While a run with BisectOptions::stop goes on: once stop is set, the
// run's step processes are killed (again every 100 ms, should one start
// meanwhile), so that a build of minutes does not hold the stop up.
class StopWatcher {
 public:
  StopWatcher(const std::atomic<bool>* stop, const std::string& token) {
    if (!stop) return;
    thread_ = std::thread([this, stop, token] {
      while (!ended_) {
        if (*stop) kill_steps_of(token);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  ~StopWatcher() {
    ended_ = true;
    if (thread_.joinable()) thread_.join();
  }
  StopWatcher(const StopWatcher&) = delete;
  StopWatcher& operator=(const StopWatcher&) = delete;

 private:
  std::atomic<bool> ended_{false};
  std::thread thread_;
};

// A runner for recover_interrupted(), which runs no step.
class NoSteps final : public StepRunner {
 public:
  BuildOutcome build(const std::string&) override { return {}; }
  TestOutcome test(const std::string&) override { return {}; }
};

}  // namespace

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kGood: return "good";
    case Verdict::kBad: return "bad";
    case Verdict::kSkip: return "skip";
  }
  return "skip";
}

Bisector::Bisector(std::string repo, StepRunner& runner, BisectOptions options)
    : repo_(std::move(repo)), runner_(runner), options_(options) {
  if (options_.runs < 1) options_.runs = 1;
  if (options_.max_runs < options_.runs) options_.max_runs = options_.runs;
  if (options_.fail_threshold < 1) options_.fail_threshold = 1;
  if (options_.check_runs < 1) options_.check_runs = 1;
}

std::string Bisector::git(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"git",
                                   "-C",
                                   repo_,
                                   "-c",
                                   "user.name=kci bisect",
                                   "-c",
                                   "user.email=kci@localhost",
                                   "-c",
                                   "advice.detachedHead=false"};
  argv.insert(argv.end(), args.begin(), args.end());
  RunResult r = git_run(argv, git_options());
  if (!r.ok()) {
    std::string why = r.err.empty() ? r.out : r.err;
    while (!why.empty() && why.back() == '\n') why.pop_back();
    throw BisectError("git " + args.front() + " failed in " + repo_ + ": " + why);
  }
  while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

RunResult Bisector::git_run(const std::vector<std::string>& argv, const RunOptions& options) {
  auto start = Clock::now();
  RunOptions with_token = options;
  if (!token_.empty()) with_token.env["KCI_BISECT_RUN"] = token_;
  RunResult r = run_process(argv, with_token);
  git_seconds_ += seconds_since(start);
  return r;
}

void Bisector::checkout(const std::string& commit) { git({"checkout", "-q", "--detach", commit}); }

CommitInfo Bisector::commit_info(const std::string& commit) {
  CommitInfo info;
  auto fields = lines_of(git({"show", "-s", "--format=%H%n%s%n%an <%ae>", commit}));
  if (fields.size() >= 3) {
    info.hash = fields[0];
    info.subject = fields[1];
    info.author = fields[2];
  }
  // The commit as `git show` prints it, cut after the stat so that the
  // report stays short (the patch itself is a click away).
  info.show = git({"show", "--stat", "--format=medium", "--no-color", commit});
  auto show_lines = lines_of(info.show);
  if (show_lines.size() > 60) {
    show_lines.resize(60);
    show_lines.push_back("[...]");
    std::string cut;
    for (const auto& l : show_lines) cut += l + "\n";
    info.show = cut;
  }
  for (auto& line : lines_of(git({"show", "-s", "--format=%(trailers:only,unfold)", commit}))) {
    if (!line.empty()) info.trailers.push_back(line);
  }
  return info;
}

StepRecord Bisector::run_step(const std::string& stage, const std::string& commit, int runs,
                              bool stop_early) {
  StepRecord step;
  step.stage = stage;
  step.commit = commit;
  auto start = Clock::now();
  step.subject = git({"show", "-s", "--format=%s", commit});
  // The build: a machine's ERROR is retried; the kernel's FAIL is final.
  for (int attempt = 0; attempt <= options_.infra_retries; ++attempt) {
    check_stop();
    ++step.build_attempts;
    step.build = runner_.build(commit);
    result_->build_seconds += step.build.seconds;
    if (step.build.status != Status::kError) break;
  }
  if (step.build.status == Status::kPass && !options_.build_only) run_tests(step, runs, stop_early);
  step.verdict = judge(step, runs);
  step.seconds = seconds_since(start);
  return step;
}

void Bisector::run_tests(StepRecord& step, int runs, bool stop_early) {
  // Stopping early: a stable test needs one failure or `runs` passes; the
  // threshold of failures decides a flaky one. Infrastructure failures do
  // not count as runs; too many in a row end the step (then it is skipped).
  int infra_in_a_row = 0;
  Counts c = count(step.runs);
  int target = c.valid() + runs;
  while (c.valid() < target && !(stop_early && c.fail >= options_.fail_threshold)) {
    check_stop();
    TestOutcome run = runner_.test(step.commit);
    result_->test_seconds += run.seconds;
    step.runs.push_back(run);
    if (run.untestable) break;
    if (is_signal(run.status)) {
      infra_in_a_row = 0;
    } else if (++infra_in_a_row > options_.infra_retries) {
      break;
    }
    c = count(step.runs);
  }
}

Verdict Bisector::judge(const StepRecord& step, int runs) const {
  if (options_.build_only) {
    if (step.build.status == Status::kPass) return Verdict::kGood;
    if (step.build.status == Status::kFail) return Verdict::kBad;
    return Verdict::kSkip;
  }
  // In a test bisection a commit that does not build cannot be tested.
  if (step.build.status != Status::kPass) return Verdict::kSkip;
  Counts c = count(step.runs);
  if (c.fail >= options_.fail_threshold) return Verdict::kBad;
  if (c.pass >= runs && c.fail == 0) return Verdict::kGood;
  return Verdict::kSkip;
}

void Bisector::check_stop() const {
  if (options_.stop && *options_.stop) {
    throw BisectInterrupted("bisection in " + repo_ + " interrupted (stop requested)");
  }
}

BisectResult Bisector::run(const std::string& good_rev, const std::string& bad_rev) {
  check_stop();
  BisectResult result;
  result_ = &result;
  git_seconds_ = 0;
  auto start = Clock::now();
  token_.clear();

  // One kci bisect at a time in a tree; the leftovers of a killed one
  // cleaned up first (see the class comment).
  namespace fs = std::filesystem;
  const std::string git_dir = git({"rev-parse", "--absolute-git-dir"});
  const std::string state_path = git_dir + "/kci-bisect.state";
  TreeLock lock(git_dir + "/kci-bisect.lock", state_path, repo_);
  std::error_code ec;
  if (fs::exists(state_path, ec)) recover(git_dir, read_file(state_path, 1 << 16));
  token_ = make_token();
  runner_.set_environment({{"KCI_BISECT_RUN", token_}});
  StopWatcher stop_watcher(options_.stop, token_);

  // Where the tree was, to put it back.
  std::string original;
  try {
    original = git({"symbolic-ref", "-q", "--short", "HEAD"});
  } catch (const BisectError&) {
    original = git({"rev-parse", "HEAD"});
  }
  if (!git({"status", "--porcelain", "--untracked-files=no"}).empty()) {
    throw BisectError(repo_ + " has uncommitted changes: bisection needs a clean work tree");
  }
  // What git bisect itself looks at (a `git bisect log` costs a fifth of a
  // second on a loaded machine).
  if (fs::exists(git_dir + "/BISECT_START", ec) || fs::exists(git_dir + "/BISECT_LOG", ec)) {
    throw BisectError(repo_ +
                      " is in the middle of a bisection already ('git bisect reset' ends it)");
  }
  result.good = git({"rev-parse", "--verify", "--quiet", good_rev + "^{commit}"});
  result.bad = git({"rev-parse", "--verify", "--quiet", bad_rev + "^{commit}"});
  result.start = result.good;
  // A rebased branch: the old good commit is not below the new bad one, so
  // bisect from where the two histories meet.
  RunResult anc =
      git_run({"git", "-C", repo_, "merge-base", "--is-ancestor", result.good, result.bad}, {});
  if (anc.exit_code != 0) {
    result.rebased = true;
    result.start = git({"merge-base", result.good, result.bad});
  }
  result.commits_in_range =
      std::stoi(git({"rev-list", "--count", result.start + ".." + result.bad}));
  // From here on the tree is not as the user left it: what to restore,
  // for a run after this one should it be killed.
  write_file_atomic(state_path, "original " + original + "\npid " + std::to_string(::getpid()) +
                                    "\ntoken " + token_ + "\n");

  auto finish = [&]() -> BisectResult {
    try {
      if (fs::exists(git_dir + "/BISECT_START", ec)) git({"bisect", "reset"});
    } catch (const BisectError&) {
    }
    try {
      git({"checkout", "-q", original});
      // Put back: nothing for a later run to recover (unless this failed).
      fs::remove(state_path, ec);
    } catch (const BisectError&) {
    }
    result.total_seconds = seconds_since(start);
    result.git_seconds = git_seconds_;
    result_ = nullptr;
    return result;
  };

  try {
    // 1. The endpoints: the good commit must pass and the bad one fail. A
    // test that disagrees with itself on one commit is flaky: every later
    // step runs it more often.
    int endpoint_runs = options_.build_only ? 1 : std::max(options_.runs, options_.check_runs);
    checkout(result.start);
    StepRecord good_step = run_step("verify-good", result.start, endpoint_runs, false);
    result.steps.push_back(good_step);
    auto endpoint_problem = [&](const StepRecord& s, Verdict want) -> std::string {
      // An endpoint that cannot be tried (a build ERROR, or untestable:
      // SKIP) cannot be verified: the bisection is aborted.
      if (s.build.status != Status::kPass && s.build.status != Status::kFail) return "error";
      if (options_.build_only) {
        return (s.verdict == want) ? "" : (want == Verdict::kGood ? "good-fails" : "bad-passes");
      }
      if (s.build.status == Status::kFail)
        return want == Verdict::kGood ? "good-fails" : "bad-passes";
      Counts c = count(s.runs);
      if (c.valid() == 0) return "error";
      if (want == Verdict::kGood) return c.fail > 0 ? "good-fails" : "";
      return c.fail == 0 ? "bad-passes" : "";
    };
    // A good commit that fails ends it here: the bad one need not be built.
    if (auto p = endpoint_problem(good_step, Verdict::kGood); !p.empty()) {
      result.status = p == "error" ? "aborted" : p;
      return finish();
    }
    checkout(result.bad);
    StepRecord bad_step = run_step("verify-bad", result.bad, endpoint_runs, false);
    // A flaky regression: the bad commit fails only sometimes. Keep running
    // it to estimate how often, which sets the runs per step.
    int runs = options_.runs;
    if (!options_.build_only) {
      Counts bc = count(bad_step.runs);
      if (bad_step.build.status == Status::kPass && bc.fail > 0 && bc.pass > 0) {
        result.flaky = true;
        runs = options_.max_runs;
        auto more_start = Clock::now();
        run_tests(bad_step, options_.max_runs - bc.valid(), false);
        bad_step.seconds += seconds_since(more_start);
        bc = count(bad_step.runs);
      }
      result.reproduce_chance = bc.valid() ? double(bc.fail) / bc.valid() : 0;
      // With a stable test the bad commit fails every run.
      if (!result.flaky && bc.fail > 0) bad_step.verdict = Verdict::kBad;
    }
    result.steps.push_back(bad_step);
    result.runs_per_step = runs;

    if (auto p = endpoint_problem(bad_step, Verdict::kBad); !p.empty()) {
      result.status = p == "error" ? "aborted" : p;
      return finish();
    }

    // 2. The bisection proper.
    git({"bisect", "start", result.bad, result.start});
    double confidence = 1;
    for (;;) {
      if (result.bisect_steps >= options_.max_steps) {
        result.status = "aborted";
        break;
      }
      std::string commit = git({"rev-parse", "HEAD"});
      StepRecord step = run_step("bisect", commit, runs);
      ++result.bisect_steps;
      if (step.verdict == Verdict::kGood && !options_.build_only) {
        // The chance that a good verdict missed the bug.
        int passes = count(step.runs).pass;
        confidence *= 1 - std::pow(1 - result.reproduce_chance, passes);
      }
      result.steps.push_back(step);
      RunResult r =
          git_run({"git", "-C", repo_, "bisect", verdict_name(step.verdict)}, git_options());
      std::string out = r.out + r.err;
      if (out.find("is the first bad commit") != std::string::npos) {
        std::string first = lines_of(out).front();
        // "<hash> is the first bad commit"
        for (const auto& line : lines_of(out)) {
          auto pos = line.find(" is the first bad commit");
          if (pos != std::string::npos) {
            first = line.substr(0, pos);
            break;
          }
        }
        result.status = "found";
        result.culprit = commit_info(first);
        break;
      }
      if (out.find("only 'skip'ped commits left") != std::string::npos) {
        result.status = "ambiguous";
        for (const auto& line : lines_of(out)) {
          if (line.size() >= 40 && is_hash(std::string_view(line).substr(0, 40))) {
            result.candidates.push_back(line.substr(0, 40));
          }
        }
        break;
      }
      if (!r.ok()) {
        throw BisectError("git bisect " + std::string(verdict_name(step.verdict)) +
                          " failed: " + out);
      }
    }
    result.confidence = result.status == "found" ? confidence : 0;
    result.bisect_log = git({"bisect", "log"});
    git({"bisect", "reset"});

    // 3. The checks.
    if (result.status == "found" && options_.checks) run_checks(result);
  } catch (...) {
    finish();
    // A step killed by the stop fails as it may (a build ERROR, an
    // exception of the runner): the stop is the reason.
    check_stop();
    throw;
  }
  return finish();
}

bool recover_interrupted(const std::string& repo) {
  namespace fs = std::filesystem;
  NoSteps none;
  Bisector bisector(repo, none, BisectOptions{});
  const std::string git_dir = bisector.git({"rev-parse", "--absolute-git-dir"});
  const std::string state_path = git_dir + "/kci-bisect.state";
  std::error_code ec;
  if (!fs::exists(state_path, ec)) return false;
  TreeLock lock(git_dir + "/kci-bisect.lock", state_path, repo);
  // A run that was finishing meanwhile removed it.
  if (!fs::exists(state_path, ec)) return false;
  bisector.recover(git_dir, read_file(state_path, 1 << 16));
  return true;
}

void Bisector::recover(const std::string& git_dir, const std::string& state) {
  namespace fs = std::filesystem;
  std::string original, pid, token;
  for (const auto& line : lines_of(state)) {
    auto space = line.find(' ');
    if (space == std::string::npos) continue;
    std::string key = line.substr(0, space), value = line.substr(space + 1);
    if (key == "original") original = value;
    if (key == "pid") pid = value;
    if (key == "token") token = value;
  }
  const std::string state_path = git_dir + "/kci-bisect.state";
  if (original.empty()) {
    throw BisectError(state_path + ": no 'original' line: not kci's (remove it if the tree is " +
                      "as it should be)");
  }
  int killed = token.empty() ? 0 : end_processes_of(token);
  // The git commands below carry the dead run's token too: should this run
  // be killed while it puts the tree back, the next one (reading the same
  // state file) finds them and waits for them, instead of meeting their
  // index.lock (a kill test found that).
  token_ = token;
  struct ClearToken {
    std::string& t;
    ~ClearToken() { t.clear(); }
  } clear_token{token_};
  std::error_code ec;
  // Clean when the dead run took it: whatever changed is that run's (a
  // half-done checkout or revert, a step's edits).
  git({"reset", "-q", "--hard"});
  if (fs::exists(git_dir + "/REVERT_HEAD", ec) || fs::exists(git_dir + "/sequencer", ec)) {
    git_run({"git", "-C", repo_, "revert", "--quit"}, git_options());
  }
  bool bisecting = fs::exists(git_dir + "/BISECT_START", ec);
  if (bisecting) git({"bisect", "reset", original});
  git({"checkout", "-q", original});
  fs::remove(state_path, ec);
  log::warn("kci bisect: " + repo_ + ": put back to " + original +
            " after an interrupted kci bisect (pid " + pid + ")" +
            (killed ? ", " + std::to_string(killed) + " of its processes killed" : "") +
            (bisecting ? ", its git bisect ended" : ""));
}

void Bisector::run_checks(BisectResult& result) {
  const std::string culprit = result.culprit->hash;
  runner_.begin_checks();
  int runs = options_.build_only ? 1 : std::max(result.runs_per_step, options_.check_runs);
  // Every run counts here: no early stop, so "fails 3 of 3" means three runs.
  auto all_runs = [&](const std::string& stage, const std::string& commit) {
    checkout(commit);
    StepRecord s = run_step(stage, commit, runs, false);
    result.steps.push_back(s);
    return s;
  };

  // verify: the culprit fails every run (a flaky test: at least the
  // threshold) and its parent passes every run.
  StepRecord culprit_step = all_runs("check-culprit", culprit);
  std::string parent;
  try {
    parent = git({"rev-parse", "--verify", "--quiet", culprit + "^1"});
  } catch (const BisectError&) {
  }
  StepRecord parent_step;
  if (!parent.empty()) parent_step = all_runs("check-parent", parent);

  auto fails = [&](const StepRecord& s) {
    if (options_.build_only) return s.build.status == Status::kFail;
    if (s.build.status != Status::kPass) return false;
    Counts c = count(s.runs);
    if (c.valid() == 0) return false;
    return result.flaky ? c.fail >= options_.fail_threshold
                        : c.fail == c.valid() && c.valid() == runs;
  };
  auto passes = [&](const StepRecord& s) {
    if (options_.build_only) return s.build.status == Status::kPass;
    if (s.build.status != Status::kPass) return false;
    Counts c = count(s.runs);
    return c.fail == 0 && c.pass == runs;
  };
  if (parent.empty()) {
    result.verify = {"skipped", "the culprit has no parent"};
  } else {
    bool ok = fails(culprit_step) && passes(parent_step);
    Counts cc = count(culprit_step.runs), pc = count(parent_step.runs);
    std::string detail = options_.build_only
                             ? "culprit build " + name(culprit_step.build.status) +
                                   ", parent build " + name(parent_step.build.status)
                             : "culprit failed " + std::to_string(cc.fail) + " of " +
                                   std::to_string(cc.valid()) + ", parent passed " +
                                   std::to_string(pc.pass) + " of " + std::to_string(pc.valid());
    result.verify = {ok ? "PASS" : "FAIL", detail};
    if (!culprit_step.build.image_digest.empty() &&
        culprit_step.build.image_digest == parent_step.build.image_digest) {
      result.identical_image = true;
    }
  }

  // revert: the culprit reverted on top of the bad commit passes.
  checkout(result.bad);
  RunResult rv = git_run({"git", "-C", repo_, "-c", "user.name=kci bisect", "-c",
                          "user.email=kci@localhost", "revert", "--no-edit", culprit},
                         git_options());
  if (!rv.ok()) {
    git_run({"git", "-C", repo_, "revert", "--abort"}, git_options());
    result.revert = {"conflict",
                     "the culprit does not revert cleanly on " + result.bad.substr(0, 12)};
    return;
  }
  std::string reverted = git({"rev-parse", "HEAD"});
  StepRecord revert_step = run_step("check-revert", reverted, runs, false);
  result.steps.push_back(revert_step);
  Counts rc = count(revert_step.runs);
  bool ok = passes(revert_step);
  result.revert = {ok ? "PASS" : "FAIL",
                   options_.build_only
                       ? "build " + name(revert_step.build.status)
                       : "passed " + std::to_string(rc.pass) + " of " + std::to_string(rc.valid())};
}

namespace {

void put(rapidjson::Writer<rapidjson::StringBuffer>& w, const char* key, const std::string& v) {
  w.Key(key);
  w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
}

}  // namespace

std::string result_json(const BisectResult& r, int indent) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  put(w, "status", r.status);
  put(w, "good", r.good);
  put(w, "bad", r.bad);
  put(w, "start", r.start);
  w.Key("rebased");
  w.Bool(r.rebased);
  w.Key("flaky");
  w.Bool(r.flaky);
  w.Key("runs_per_step");
  w.Int(r.runs_per_step);
  w.Key("reproduce_chance");
  w.Double(r.reproduce_chance);
  w.Key("culprit");
  if (r.culprit) {
    w.StartObject();
    put(w, "commit", r.culprit->hash);
    put(w, "subject", r.culprit->subject);
    put(w, "author", r.culprit->author);
    w.Key("trailers");
    w.StartArray();
    for (const auto& t : r.culprit->trailers) w.String(t.c_str());
    w.EndArray();
    put(w, "show", r.culprit->show);
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("candidates");
  w.StartArray();
  for (const auto& c : r.candidates) w.String(c.c_str());
  w.EndArray();
  w.Key("checks");
  w.StartObject();
  w.Key("verify");
  w.StartObject();
  put(w, "result", r.verify.result);
  put(w, "detail", r.verify.detail);
  w.EndObject();
  w.Key("revert");
  w.StartObject();
  put(w, "result", r.revert.result);
  put(w, "detail", r.revert.detail);
  w.EndObject();
  w.Key("identical_image");
  w.Bool(r.identical_image);
  w.EndObject();
  w.Key("confidence");
  w.Double(std::round(r.confidence * 1e4) / 1e4);
  w.Key("commits_in_range");
  w.Int(r.commits_in_range);
  w.Key("bisect_steps");
  w.Int(r.bisect_steps);
  w.Key("steps");
  w.StartArray();
  for (const auto& s : r.steps) {
    w.StartObject();
    put(w, "stage", s.stage);
    put(w, "commit", s.commit);
    put(w, "subject", s.subject);
    put(w, "build", name(s.build.status));
    if (!s.build.reason.empty()) put(w, "build_reason", s.build.reason);
    w.Key("build_reused");
    w.Bool(s.build.reused);
    w.Key("build_seconds");
    w.Double(std::round(s.build.seconds * 100) / 100);
    w.Key("build_attempts");
    w.Int(s.build_attempts);
    w.Key("runs");
    w.StartArray();
    for (const auto& t : s.runs) w.String(name(t.status).c_str());
    w.EndArray();
    put(w, "verdict", verdict_name(s.verdict));
    double test_seconds = 0;
    for (const auto& t : s.runs) test_seconds += t.seconds;
    w.Key("test_seconds");
    w.Double(std::round(test_seconds * 100) / 100);
    w.Key("seconds");
    w.Double(std::round(s.seconds * 100) / 100);
    w.EndObject();
  }
  w.EndArray();
  put(w, "bisect_log", r.bisect_log);
  w.Key("seconds");
  w.StartObject();
  w.Key("total");
  w.Double(std::round(r.total_seconds * 100) / 100);
  w.Key("build");
  w.Double(std::round(r.build_seconds * 100) / 100);
  w.Key("test");
  w.Double(std::round(r.test_seconds * 100) / 100);
  w.Key("kci");
  w.Double(std::round(r.kci_seconds() * 100) / 100);
  w.Key("git");
  w.Double(std::round(r.git_seconds * 100) / 100);
  w.EndObject();
  w.EndObject();
  json::Document doc;
  doc.Parse(buf.GetString(), buf.GetSize());
  return json::write(doc, indent);
}

std::string result_summary(const BisectResult& r) {
  std::ostringstream out;
  out << "bisection: " << r.status;
  if (r.rebased)
    out << " (good was not an ancestor of bad: started from the merge-base "
        << r.start.substr(0, 12) << ")";
  out << "\n";
  if (r.culprit) {
    out << "culprit: " << r.culprit->hash.substr(0, 12) << " (\"" << r.culprit->subject << "\")\n"
        << "author: " << r.culprit->author << "\n";
  }
  for (const auto& c : r.candidates) out << "candidate: " << c.substr(0, 12) << "\n";
  if (r.status == "found") {
    out << "checks: revert: " << r.revert.result << " (" << r.revert.detail
        << "), verify: " << r.verify.result << " (" << r.verify.detail << ")\n";
    if (r.identical_image)
      out << "warning: the culprit's kernel image is identical to its parent's: probably wrong\n";
    char conf[32];
    std::snprintf(conf, sizeof conf, "%.2f", r.confidence);
    out << "confidence: " << conf << (r.flaky ? " (flaky test, " : " (") << r.runs_per_step
        << " run(s) per step)\n";
  }
  char times[200];
  std::snprintf(times, sizeof times,
                "time: %.1f s (build %.1f s, test %.1f s, kci %.1f s of which git %.1f s)\n",
                r.total_seconds, r.build_seconds, r.test_seconds, r.kci_seconds(), r.git_seconds);
  out << r.commits_in_range << " commits in range, " << r.bisect_steps << " bisection steps\n"
      << times;
  out << "steps:\n";
  for (const auto& s : r.steps) {
    std::string runs;
    for (const auto& t : s.runs) runs += (runs.empty() ? "" : ",") + name(t.status);
    double test_seconds = 0;
    for (const auto& t : s.runs) test_seconds += t.seconds;
    char line[128];
    std::snprintf(line, sizeof line, "%7.1fs (build %.1fs, test %.1fs, kci %.1fs)", s.seconds,
                  s.build.seconds, test_seconds, s.seconds - s.build.seconds - test_seconds);
    out << "  " << s.stage << std::string(s.stage.size() < 14 ? 14 - s.stage.size() : 1, ' ')
        << s.commit.substr(0, 12) << "  build " << name(s.build.status)
        << (s.build.reused ? " (reused)" : "") << "  tests [" << runs << "]  "
        << verdict_name(s.verdict) << line << "  " << s.subject.substr(0, 50) << "\n";
  }
  return out.str();
}

}  // namespace kci::bisect
