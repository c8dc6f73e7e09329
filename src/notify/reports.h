// SPDX-License-Identifier: LGPL-2.1-or-later
// The data of each report kind, as plain structs. The analysis layer (test
// regressions, known issues, unstable tests), the build results, the
// bisection and the triage fill them; the renderers (render.h) only format
// them. They can also be read from JSON (report_json.h): the golden files
// and `kci notify render` use that.
#pragma once

#include <string>
#include <vector>

namespace kci::notify {

// ---- Test report (KernelCI's "{tree}/{branch} {plan}: N runs, R regressions")

// One failing test case of a test run.
struct TestCaseFailure {
  std::string path;  // "baseline.dmesg.crit"
  std::string url;   // the test case on the dashboard
  // The kernel (git describe) of the last pass before the failures; empty
  // when the test never passed.
  std::string last_pass;
  // The kernel of the first failure; empty or equal to the report's
  // describe when this run is the first failure.
  std::string first_fail;
  int failing_days = 0;  // days from the first failure to this one
  // A triaged known issue this failure matches ("" for none): then it is
  // named under "Known issues", not counted as a regression.
  std::string known_issue_id, known_issue_title;
  std::vector<std::string> log_lines;  // first lines of the failure's log
};

// A test run: one plan on one platform/config (a "group" in KernelCI).
struct TestRun {
  std::string platform, arch, lab, compiler, defconfig;
  std::string compiler_version;  // "gcc-12 (Debian 12.2.0-14) 12.2.0"
  std::string config_full;       // "defconfig+kselftest"
  std::string details_url, plain_log, html_log, rootfs;
  int pass = 0, fail = 0, skip = 0;
  std::vector<TestCaseFailure> failures;
};

// A test whose status flips between runs: listed apart, not a regression
// (the live source lists the failures of unstable tests that the analysis
// does not report as regressions yet).
struct UnstableTest {
  std::string path, platform, arch;
  std::string url;   // the failing test on the dashboard ("" for none)
  std::string note;  // "4 status changes in the last 10 runs"
};

struct TestReport {
  std::string tree, branch, plan, describe, url, sha;
  std::string checkout_id;
  std::string details_url;  // kci's dashboard page of this checkout and plan
  int runs = 0;             // 0: the number of runs listed
  std::vector<TestRun> test_runs;
  std::vector<UnstableTest> unstable;
};

// ---- Build report (KernelCI's legacy layout)

struct BuildResult {
  std::string defconfig, arch, compiler;  // compiler: the build environment
  std::string status;                     // PASS, FAIL
  std::vector<std::string> errors, warnings, section_mismatches;
  std::string url;      // the build on the dashboard
  std::string log_url;  // the build log
  // A failing configuration that built before: the kernel (git describe)
  // of its last good build; "" when unknown or never built.
  std::string last_pass;
};

struct BuildReport {
  std::string tree, branch, describe, commit, url;
  std::string checkout_id;
  std::string details_url;
  std::vector<BuildResult> builds;
};

// ---- Bisection report (KernelCI's legacy layout)

struct BisectionResult {
  std::string tree, branch, url;
  std::string target, arch, lab, compiler, defconfig, test_case;
  std::string good_commit, bad_commit;
  // "Start" and "Result": "<abbrev sha> <subject>" of the bad commit and
  // of the culprit.
  std::string start_summary, result_summary;
  std::string plain_log, html_log;         // the failing run's logs
  std::string check_revert, check_verify;  // PASS, FAIL, or "" (not run)
  // The culprit as `git show` prints it (kci abbreviates it to
  // max_commit_lines), and its author line and message for recipients.
  std::string culprit_sha, culprit_author, culprit_show;
  std::string culprit_committer;              // "Name <email>", "" when unknown
  std::vector<std::string> culprit_trailers;  // "Signed-off-by: Name <email>", ...
  std::string bisect_log;                     // `git bisect log`
  std::string reported_by;                    // the trailer to ask for: "kci bot <bot@example.org>"
  std::string checkout_id;
};

// ---- New issue report (an issue seen for the first time)

struct IssueIncident {
  std::string kind;  // build, boot, test
  std::string object_id, url, platform, arch, config, compiler, time;
};

struct NewIssueReport {
  std::string issue_id, issue_version, title, culprit;  // culprit: code, tool, harness
  std::string tree, branch, describe, sha, url;
  std::string checkout_id;
  std::string details_url;
  IssueIncident first_incident;
  std::vector<IssueIncident> incidents;  // configurations and platforms affected
  std::vector<std::string> log_excerpt;
};

}  // namespace kci::notify
