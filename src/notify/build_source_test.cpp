// SPDX-License-Identifier: LGPL-2.1-or-later
// The live build report: builds loaded through ingest, analysed, their logs
// (file:// URLs, or the log_excerpt) scanned by triage's build scanner; the
// report names the failures per architecture with their first error lines
// and the last good build of a configuration that regressed, and is queued
// for a build subscription once.
#include "notify/build_source.h"
#include "notify/issue_source.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "analysis/analyzer.h"
#include "ingest/loader.h"
#include "notify/analysis_source.h"
#include "notify/notifier.h"
#include "notify/render.h"
#include "notify/test_fixture.h"

namespace kci::notify {
namespace {

namespace fs = std::filesystem;

const char* kError =
    "drivers/net/bar.c:88:3: error: implicit declaration of function 'baz' "
    "[-Werror=implicit-function-declaration]";
const char* kWarning = "kernel/foo.c:12:5: warning: unused variable 'ret' [-Wunused-variable]";
const char* kMismatch =
    "WARNING: modpost: vmlinux: section mismatch in reference: qux (section: .text) -> quux "
    "(section: .init.text)";

class BuildSource : public testing::DatabaseFixture<> {
 protected:
  void SetUp() override {
    open_database("build-source");
    store_ = db_->store.get();
    sql_ = db_->sql.get();
  }

  std::string log(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p) << "  CC      init/main.o\n" << text << "  LD      vmlinux\n";
    return "file://" + p.string();
  }

  report::Build build(int n, const std::string& config, const std::string& arch,
                      const std::string& status) {
    report::Build b;
    b.id = "lab:b" + std::to_string(n) + "-" + config;
    b.checkout_id = "lab:c" + std::to_string(n);
    b.origin = "lab";
    b.architecture = arch;
    b.config_name = config;
    b.compiler = "gcc-12";
    b.status = status;
    b.start_time = "2026-12-0" + std::to_string(n) + "T10:00:00+00:00";
    return b;
  }

  void load(int n, std::vector<report::Build> builds) {
    report::Report r;
    report::Checkout co;
    co.id = "lab:c" + std::to_string(n);
    co.origin = "lab";
    co.tree_name = "mainline";
    co.git_repository_url = "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git";
    co.git_repository_branch = "master";
    co.git_commit_hash = std::string(40, static_cast<char>('0' + n));
    co.git_commit_name = "v6.1-rc" + std::to_string(n);
    co.start_time = "2026-12-0" + std::to_string(n) + "T10:00:00+00:00";
    r.checkouts.push_back(co);
    r.builds = std::move(builds);
    ingest::Loader(*store_).load(r);
  }

  store::Store* store_ = nullptr;
  store::SqlConnection* sql_ = nullptr;
};

TEST_F(BuildSource, FailuresWithTheirErrorLinesAndLastGoodBuildAreMailedOnce) {
  auto defconfig1 = build(1, "defconfig", "x86_64", "PASS");
  defconfig1.log_url = log("1-defconfig.log", std::string(kWarning) + "\n");
  auto allmod1 = build(1, "allmodconfig", "arm", "PASS");
  allmod1.log_url = log("1-allmod.log", "");
  load(1, {defconfig1, allmod1});

  auto defconfig2 = build(2, "defconfig", "x86_64", "PASS");
  defconfig2.log_url = log("2-defconfig.log", std::string(kWarning) + "\n");
  auto allmod2 = build(2, "allmodconfig", "arm", "FAIL");
  allmod2.log_url = log("2-allmod.log", std::string("drivers/net/bar.c: In function 'foo':\n") +
                                            kError + "\n" + kMismatch + "\n");
  // No log_url: its excerpt is scanned. It never built: no last pass.
  auto tiny2 = build(2, "tinyconfig", "arm", "FAIL");
  tiny2.log_excerpt = std::string(kError) + "\n";
  load(2, {defconfig2, allmod2, tiny2});
  analysis::Analyzer(*store_, *sql_).rebuild();

  NotifierConfig config;
  Subscription s;
  s.name = "builds";
  s.tree = "mainline";
  s.kinds = {ReportKind::kBuild};
  s.to = {Address{"", "builds@example.org"}};
  config.subscriptions = {s};
  Notifier n(*sql_, config);
  AnalysisReportSource source(*store_, *sql_, "https://kci.example.org");
  CheckoutReports reports = source.reports(n.checkout_info("lab:c2"));
  ASSERT_TRUE(reports.build);
  const BuildReport& b = *reports.build;
  EXPECT_EQ(b.describe, "v6.1-rc2");
  ASSERT_EQ(b.builds.size(), 3u);
  std::map<std::string, BuildResult> by;
  for (const auto& r : b.builds) by[r.defconfig] = r;
  EXPECT_EQ(by["allmodconfig"].status, "FAIL");
  EXPECT_EQ(by["allmodconfig"].errors, std::vector<std::string>{kError});
  EXPECT_EQ(by["allmodconfig"].section_mismatches, std::vector<std::string>{kMismatch});
  EXPECT_EQ(by["allmodconfig"].last_pass, "v6.1-rc1");
  EXPECT_EQ(by["tinyconfig"].errors, std::vector<std::string>{kError});
  EXPECT_EQ(by["tinyconfig"].last_pass, "");
  EXPECT_EQ(by["defconfig"].warnings, std::vector<std::string>{kWarning});
  EXPECT_EQ(by["defconfig"].url, "https://kci.example.org/build/lab:b2-defconfig");

  EXPECT_EQ(n.queue_reports(n.checkout_info("lab:c2"), reports, 100), 1);
  EXPECT_EQ(n.queue_reports(n.checkout_info("lab:c2"), reports, 200), 0);
  auto due = n.outbox().due_messages(200);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_NE(
      due[0].find(
          "mainline/master build: 3 builds: 2 failed, 1 passed, 2 errors, 1 warning (v6.1-rc2)"),
      std::string::npos)
      << due[0];
  EXPECT_NE(due[0].find("allmodconfig: (gcc-12) FAIL (last pass: v6.1-rc1)"), std::string::npos)
      << due[0];
  EXPECT_NE(due[0].find("tinyconfig: (gcc-12) FAIL\r\n"), std::string::npos) << due[0];

  // Checkout 1 has no failure: a regressions-only subscription gets no
  // build mail for it.
  CheckoutReports first = source.reports(n.checkout_info("lab:c1"));
  ASSERT_TRUE(first.build);
  EXPECT_FALSE(render_build_report(*first.build).has_regressions);
  EXPECT_EQ(n.queue_reports(n.checkout_info("lab:c1"), first, 300), 0);
}

TEST_F(BuildSource, NoLogFetchReadsTheExcerptOnlyAndNoBuildsNoReport) {
  auto allmod = build(1, "allmodconfig", "arm", "FAIL");
  allmod.log_url = log("1-allmod.log", std::string(kError) + "\n");
  load(1, {allmod});
  BuildSourceOptions o;
  o.fetch_logs = false;
  auto r = build_report_of(*store_, *sql_, "lab:c1", "", o);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->builds.size(), 1u);
  EXPECT_TRUE(r->builds[0].errors.empty());
  EXPECT_EQ(r->builds[0].log_url, allmod.log_url.value());
  EXPECT_TRUE(build_report_of(*store_, *sql_, "lab:c1", "")->builds[0].errors.size() == 1);
  load(3, {});
  EXPECT_FALSE(build_report_of(*store_, *sql_, "lab:c3", ""));
  EXPECT_FALSE(build_report_of(*store_, *sql_, "lab:none", ""));
}

// New issues: kci's own signature issues with the code as culprit, whose
// incidents are all on this checkout.
TEST_F(BuildSource, NewIssuesAreTheCodeSignatureIssuesFirstSeenHere) {
  auto a1 = build(1, "allmodconfig", "arm", "FAIL");
  auto a2 = build(2, "allmodconfig", "arm", "FAIL");
  a2.log_excerpt = std::string("line one\n") + kError + "\n";
  auto d2 = build(2, "defconfig", "x86_64", "FAIL");
  load(1, {a1});
  load(2, {a2, d2});
  report::Report r;
  auto issue = [&](const std::string& id, bool code) {
    report::Issue i;
    i.id = id;
    i.version = 1;
    i.origin = "kci";
    i.report_subject = "title of " + id;
    i.culprit_code = code;
    r.issues.push_back(i);
  };
  auto incident = [&](const std::string& issue_id, const std::string& build_id) {
    report::Incident n;
    n.id = "kci:" + issue_id + "@" + build_id;
    n.origin = "kci";
    n.issue_id = issue_id;
    n.issue_version = 1;
    n.build_id = build_id;
    n.present = true;
    r.incidents.push_back(n);
  };
  issue("kci:sig:new", true);
  issue("kci:sig:old", true);
  issue("kci:sig:warning", false);
  issue("kci:rule:known", true);
  incident("kci:sig:new", "lab:b2-allmodconfig");
  incident("kci:sig:new", "lab:b2-defconfig");
  incident("kci:sig:old", "lab:b1-allmodconfig");
  incident("kci:sig:old", "lab:b2-allmodconfig");
  incident("kci:sig:warning", "lab:b2-allmodconfig");
  incident("kci:rule:known", "lab:b2-allmodconfig");
  ingest::Loader(*store_).load(r);

  auto reports = new_issue_reports_of(*sql_, "lab:c2", "https://kci.example.org");
  ASSERT_EQ(reports.size(), 1u);
  const NewIssueReport& n = reports[0];
  EXPECT_EQ(n.issue_id, "kci:sig:new");
  EXPECT_EQ(n.title, "title of kci:sig:new");
  EXPECT_EQ(n.describe, "v6.1-rc2");
  EXPECT_EQ(n.details_url, "https://kci.example.org/issue/kci:sig:new");
  ASSERT_EQ(n.incidents.size(), 2u);
  EXPECT_EQ(n.first_incident.kind, "build");
  EXPECT_EQ(n.log_excerpt.size(), 2u);
  EXPECT_TRUE(new_issue_reports_of(*sql_, "lab:c1", "").empty());  // old: seen again in c2

  // Through the live source and a new-issue subscription: one mail.
  NotifierConfig config;
  Subscription s;
  s.name = "issues";
  s.kinds = {ReportKind::kNewIssue};
  s.to = {Address{"", "issues@example.org"}};
  config.subscriptions = {s};
  Notifier notifier(*sql_, config);
  AnalysisReportSource source(*store_, *sql_, "https://kci.example.org");
  CheckoutInfo c = notifier.checkout_info("lab:c2");
  EXPECT_EQ(notifier.queue_reports(c, source.reports(c), 100), 1);
  auto due = notifier.outbox().due_messages(100);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_NE(due[0].find("title of kci:sig:new"), std::string::npos) << due[0];
}

}  // namespace
}  // namespace kci::notify
