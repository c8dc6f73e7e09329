// SPDX-License-Identifier: LGPL-2.1-or-later
// Automated bisection: `git bisect` driven by real builds and test runs, as
// KernelCI's bisection did it (verify the endpoints, bisect, then check the
// culprit by verifying it and by reverting it on top of the bad commit),
// made aware of flaky tests (several runs per step, a confidence figure, as
// syzkaller's bisection does) and of infrastructure failures (retried, then
// skipped; never counted good or bad).
//
// The engine knows nothing of kernels: a StepRunner builds the checked-out
// commit and runs the test once. The real runner builds with kci's kbuild and
// boots in a kci runtime (kernel_step_runner.h); tests use scripted ones.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "report/status.h"
#include "util/error.h"
#include "util/subprocess.h"

namespace kci::bisect {

using report::Status;

// "PASS", "FAIL", ...: a status as the step table and JSON print it.
inline std::string name(Status status) { return std::string(report::status_name(status)); }

class BisectError : public Error {
 public:
  using Error::Error;
};

// BisectOptions::stop became true: the bisection ended early, the tree put
// back as it was; run it again from the start.
class BisectInterrupted : public BisectError {
 public:
  using BisectError::BisectError;
};

// The build of one commit. PASS and FAIL are the kernel's verdict, ERROR
// the machine's (toolchain missing, killed, disk full): retried, then skipped.
struct BuildOutcome {
  Status status = Status::kError;  // PASS, FAIL or ERROR
  std::string reason;              // one line, for FAIL and ERROR
  std::string image_digest;        // e.g. SHA-256 of the kernel image; "" unknown
  double seconds = 0;              // make's own time (not the bookkeeping around it)
  bool reused = false;             // the runner had built this commit already and reused that build
};

// One run of the test under bisection. PASS and FAIL are signals; ERROR and
// MISS (and SKIP: the test did not run) are infrastructure: retried, then the
// step is skipped.
struct TestOutcome {
  Status status = Status::kError;
  std::string detail;  // one line: why, for the step table
  double seconds = 0;
  // The commit cannot be tested at all (`git bisect run`'s exit 125): the
  // step is skipped at once, not retried as an infrastructure failure.
  bool untestable = false;
};

// Runs the steps in a source tree that the Bisector has checked out.
// Thread-compatible; the Bisector calls it from one thread.
class StepRunner {
 public:
  virtual ~StepRunner() = default;
  // Builds the commit checked out in the tree (HEAD is `commit`). A status
  // other than PASS, FAIL and ERROR (SKIP: untestable) skips the step
  // without a retry.
  virtual BuildOutcome build(const std::string& commit) = 0;
  // Runs the test once against the last successful build of `commit`.
  virtual TestOutcome test(const std::string& commit) = 0;
  // The bisection is over; the checks (verify, revert) start.
  virtual void begin_checks() {}
  // Variables for the environment of every process the runner starts, set
  // by the Bisector before the first step (KCI_BISECT_RUN: see Bisector).
  virtual void set_environment(const std::map<std::string, std::string>& env) { (void)env; }
};

struct BisectOptions {
  // Build bisection: the build is the verdict (FAIL = bad), no test runs.
  bool build_only = false;
  // Runs of the test per step (K). Raised to max_runs when the endpoints
  // disagree with themselves (a flaky test).
  int runs = 1;
  int max_runs = 10;
  // Failures that make a step bad (when flaky; a stable test needs one).
  int fail_threshold = 1;
  // Infrastructure failures retried per run (and build errors per build).
  int infra_retries = 3;
  // Runs of the culprit, its parent and the revert in the checks.
  int check_runs = 3;
  bool checks = true;
  // Stop (status "aborted") after this many steps of the bisection proper.
  int max_steps = 64;
  // When it becomes true (SIGINT/SIGTERM of a long-running kci run) the
  // bisection ends within about a second: the running step's processes
  // (those with this run's KCI_BISECT_RUN; its git commands are let finish)
  // are killed, no step starts, the tree is put back as after any run
  // (git bisect reset, the original branch checked out, no state file) and
  // run() throws BisectInterrupted. Null: never.
  const std::atomic<bool>* stop = nullptr;
};

enum class Verdict { kGood, kBad, kSkip };
const char* verdict_name(Verdict v);  // "good", "bad", "skip"

// One build-and-test of a commit, in any stage.
struct StepRecord {
  std::string stage;  // verify-good, verify-bad, bisect, check-culprit, check-parent, check-revert
  std::string commit;
  std::string subject;
  BuildOutcome build;
  int build_attempts = 0;
  std::vector<TestOutcome> runs;  // every run, infrastructure failures included
  Verdict verdict = Verdict::kSkip;
  double seconds = 0;  // wall time of the step
};

struct CommitInfo {
  std::string hash;
  std::string subject;
  std::string author;                 // "Name <email>"
  std::string show;                   // `git show --stat` of the commit, abbreviated
  std::vector<std::string> trailers;  // Signed-off-by: ..., Reviewed-by: ...
};

// A check of the culprit: PASS, FAIL, or another word saying why it could
// not be decided (conflict, skipped, error).
struct CheckResult {
  std::string result = "skipped";
  std::string detail;
};

struct BisectResult {
  // found: a culprit; good-fails / bad-passes: the endpoints do not show the
  // regression; ambiguous: skipped commits leave several candidates;
  // aborted: too many steps or infrastructure failures.
  std::string status;
  std::string good, bad;        // as resolved to commit hashes
  std::string start;            // the good commit bisection started from (merge-base if rebased)
  bool rebased = false;         // good was not an ancestor of bad
  bool flaky = false;           // the endpoints disagreed with themselves
  int runs_per_step = 1;        // K as finally used
  double reproduce_chance = 1;  // failures / valid runs of the bad commit
  std::optional<CommitInfo> culprit;
  std::vector<std::string> candidates;  // ambiguous: the commits left
  std::string bisect_log;               // `git bisect log`
  std::vector<StepRecord> steps;
  CheckResult verify, revert;
  // The culprit's kernel image is byte-identical to its parent's: the
  // culprit cannot have changed the kernel's behaviour, so it is probably wrong.
  bool identical_image = false;
  double confidence = 0;  // 0..1
  int bisect_steps = 0;   // steps of the bisection proper
  int commits_in_range = 0;
  // build: make's own time (the kbuild steps); test: the emulator's; kci:
  // all the rest, of which git_seconds in the bisection's git commands
  // (checkouts, git bisect, the revert).
  double build_seconds = 0, test_seconds = 0, total_seconds = 0, git_seconds = 0;
  double kci_seconds() const { return total_seconds - build_seconds - test_seconds; }
};

// Bisects between `good` and `bad` in the git work tree `repo` (checked out
// and restored as it was afterwards). Throws BisectError when git cannot do
// it (not a repository, unknown commits, a bisection already in progress,
// another kci bisect running in the tree).
//
// A run killed -9 (or crashing, or a reboot) leaves the tree wherever it
// was: another commit checked out, git bisect started, a revert half done,
// its step processes still running. While it runs, the Bisector holds a
// lock in the git directory (kci-bisect.lock, flock: released when the
// process dies) and keeps kci-bisect.state there (the branch or commit to
// restore, the pid, a token that every process it starts has in its
// environment as KCI_BISECT_RUN). The next run that finds the state file
// with the lock free recovers first: it ends the processes of the dead run
// still alive (found by the token: its steps killed, its git commands let
// finish, since a git killed leaves its lock files behind), resets the tree (git reset --hard: it
// was clean when the dead run took it), ends git bisect and the revert, and checks out what the
// dead run was to restore; then it bisects from the start.
class Bisector {
 public:
  Bisector(std::string repo, StepRunner& runner, BisectOptions options);
  BisectResult run(const std::string& good, const std::string& bad);

 private:
  std::string git(const std::vector<std::string>& args);
  // A git command whose failure the caller handles; timed as git() is.
  RunResult git_run(const std::vector<std::string>& argv, const RunOptions& options);
  void checkout(const std::string& commit);
  // Builds and tests one commit (checked out by the caller). With
  // stop_early the runs end as soon as the verdict is known.
  StepRecord run_step(const std::string& stage, const std::string& commit, int runs,
                      bool stop_early = true);
  // Adds up to `runs` valid test runs to the step.
  void run_tests(StepRecord& step, int runs, bool stop_early);
  Verdict judge(const StepRecord& step, int runs) const;
  CommitInfo commit_info(const std::string& commit);
  void run_checks(BisectResult& result);
  // The tree left by a killed run, put back (see the class comment).
  void recover(const std::string& git_dir, const std::string& state);
  // Throws BisectInterrupted once options_.stop is set.
  void check_stop() const;
  friend bool recover_interrupted(const std::string& repo);

  std::string repo_;
  StepRunner& runner_;
  BisectOptions options_;
  BisectResult* result_ = nullptr;
  double git_seconds_ = 0;  // this run's git commands so far
  std::string token_;       // KCI_BISECT_RUN of this run's processes
};

// What a killed kci bisect (or kci run --bisect) left in the git work tree
// `repo` put back now, as the next Bisector::run would do first: for a
// caller that uses the tree otherwise before its next bisection (kci run's
// builds). False when there was nothing to put back; throws BisectError
// when a kci bisect is running in the tree or git fails.
bool recover_interrupted(const std::string& repo);

// The result as one JSON object (what `kci bisect` prints).
std::string result_json(const BisectResult& result, int indent = 2);
// A human summary: status, culprit, checks, confidence and the step table.
std::string result_summary(const BisectResult& result);

}  // namespace kci::bisect
