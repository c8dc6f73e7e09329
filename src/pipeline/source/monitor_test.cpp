// SPDX-License-Identifier: LGPL-2.1-or-later
// kci monitor's passes against a real upstream repository (file://), with
// the clock passed in so that frequencies can be tested without waiting.
#include "pipeline/source/monitor.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "pipeline/config/yaml_util.h"
#include "report/validate.h"
#include "util/subprocess.h"

namespace kci::pipeline {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::minutes;

std::string sh(const std::string& script, const std::string& cwd) {
  RunOptions options;
  options.cwd = cwd;
  options.env = {{"GIT_AUTHOR_NAME", "T"},           {"GIT_AUTHOR_EMAIL", "t@example.com"},
                 {"GIT_COMMITTER_NAME", "T"},        {"GIT_COMMITTER_EMAIL", "t@example.com"},
                 {"GIT_CONFIG_GLOBAL", "/dev/null"}, {"GIT_CONFIG_NOSYSTEM", "1"}};
  return run_checked({"sh", "-ec", script}, options);
}

class MonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kci-monitor-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    sh("git init -q -b master up && cd up && git commit -q --allow-empty -m 'first' && "
       "git tag -a v6.1 -m v6.1 && git branch next",
       dir_);
    std::string yaml =
        "kci: {origin: test}\n"
        "trees:\n"
        "  up: {url: 'file://" +
        dir_ +
        "/up'}\n"
        "build_configs:\n"
        "  up_master: {tree: up, branch: master, frequency: 1h}\n"
        "  up_master_again: {tree: up, branch: master}\n"  // same branch once
        "  up_next: {tree: up, branch: next, frequency: 1d}\n";
    config_.add_document(load_yaml_string(yaml, "test.yaml"), "test.yaml");
    config_.finish();
    options_.state_dir = dir_ + "/state";
  }
  void TearDown() override { fs::remove_all(dir_); }

  MonitorPassResult pass(SystemTime now) {
    MonitorPassResult result = monitor_pass(config_, options_, nullptr, now);
    for (const std::string& e : result.errors) ADD_FAILURE() << e;
    if (!result.checkouts.empty()) {
      json::Document report;
      report::to_json(checkout_report(result.checkouts), report, false);
      for (const auto& e : report::validate_report(report).errors) ADD_FAILURE() << e.str();
    }
    return result;
  }

  std::string dir_;
  PipelineConfig config_;
  MonitorOptions options_;
};

TEST_F(MonitorTest, NewHeadsOnlyAndFrequencyHonoured) {
  SystemTime t0 = std::chrono::system_clock::now();
  std::string first = sh("git rev-parse master", dir_ + "/up");

  // First pass: both branches are new. "up_master_again" shares
  // up/master, which is polled once, with no frequency (the shortest).
  MonitorPassResult r1 = pass(t0);
  ASSERT_EQ(r1.checkouts.size(), 2u);
  EXPECT_EQ(r1.polled, 2u);
  const report::Checkout& c = r1.checkouts[0];
  EXPECT_EQ(c.id, "test:up:master:" + first);
  EXPECT_EQ(c.origin, "test");
  EXPECT_EQ(c.tree_name, "up");
  EXPECT_EQ(c.git_repository_branch, "master");
  EXPECT_EQ(c.git_commit_hash, first);
  EXPECT_EQ(c.git_commit_name, "v6.1");
  EXPECT_EQ(c.git_commit_message, "first");
  EXPECT_EQ(c.git_commit_tags, std::vector<std::string>{"v6.1"});
  EXPECT_EQ(c.git_repository_branch_tip, true);
  EXPECT_EQ(r1.checkouts[1].id, "test:up:next:" + first);  // same commit, other branch
  EXPECT_TRUE(fs::exists(dir_ + "/state/mirrors/up.git/HEAD"));

  // Unchanged heads: nothing. master has no frequency left (the shortest of
  // its build configs is none), next is not due for a day.
  MonitorPassResult r2 = pass(t0 + minutes(1));
  EXPECT_TRUE(r2.checkouts.empty());
  EXPECT_EQ(r2.polled, 1u);
  EXPECT_EQ(r2.not_due, 1u);

  // A new commit on next: not reported before next is due again.
  sh("git checkout -q next && git commit -q --allow-empty -m 'second' && git checkout -q master",
     dir_ + "/up");
  std::string second = sh("git rev-parse next", dir_ + "/up");
  EXPECT_TRUE(pass(t0 + hours(2)).checkouts.empty());
  MonitorPassResult r4 = pass(t0 + hours(25));
  ASSERT_EQ(r4.checkouts.size(), 1u);
  EXPECT_EQ(r4.checkouts[0].git_commit_hash, second);
  EXPECT_EQ(r4.checkouts[0].git_commit_name, "v6.1-1-g" + second.substr(0, 7));
  EXPECT_EQ(r4.checkouts[0].git_commit_tags, std::vector<std::string>{});
}

TEST_F(MonitorTest, FrequencyAloneLimitsPolling) {
  // Only up_master (1h): polled at t0, not at +30m, again at +61m.
  config_ = PipelineConfig();
  std::string yaml = "trees: {up: {url: 'file://" + dir_ +
                     "/up'}}\n"
                     "build_configs: {m: {tree: up, branch: master, frequency: 1h}}\n";
  config_.add_document(load_yaml_string(yaml, "t.yaml"), "t.yaml");
  config_.finish();
  SystemTime t0 = std::chrono::system_clock::now();
  EXPECT_EQ(pass(t0).checkouts.size(), 1u);
  sh("git commit -q --allow-empty -m 'second'", dir_ + "/up");
  MonitorPassResult early = pass(t0 + minutes(30));
  EXPECT_EQ(early.not_due, 1u);
  EXPECT_TRUE(early.checkouts.empty());
  MonitorPassResult due = pass(t0 + minutes(61));
  EXPECT_EQ(due.checkouts.size(), 1u);
  EXPECT_EQ(due.checkouts[0].id->substr(0, 4), "kci:");  // the default origin
}

TEST_F(MonitorTest, MissingBranchIsAnErrorNotACheckout) {
  config_ = PipelineConfig();
  std::string yaml = "trees: {up: {url: 'file://" + dir_ +
                     "/up'}}\n"
                     "build_configs: {m: {tree: up, branch: nope}}\n";
  config_.add_document(load_yaml_string(yaml, "t.yaml"), "t.yaml");
  config_.finish();
  MonitorPassResult r = monitor_pass(config_, options_, nullptr, std::chrono::system_clock::now());
  EXPECT_TRUE(r.checkouts.empty());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("no branch 'nope'"), std::string::npos);
}

}  // namespace
}  // namespace kci::pipeline
