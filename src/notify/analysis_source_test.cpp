// SPDX-License-Identifier: LGPL-2.1-or-later
// The live test report (kci serve / kci run) from the analysis: a golden
// case whose input is KCIDB data (testdata/live/NAME.kcidb.json: four
// checkouts of one branch, loaded through ingest and analysed) and whose
// expected output is the test mails of its newest checkout
// (testdata/live/NAME.eml). Regressions are listed as such, a failure with
// a known issue is named with it, and the failure of an unstable test that
// the analysis holds back is listed apart under "Unstable Tests", never
// counted as a regression. Regenerate with scripts/update-golden.sh.
#include "notify/analysis_source.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "analysis/analyzer.h"
#include "ingest/loader.h"
#include "notify/mail.h"
#include "notify/notifier.h"
#include "notify/render.h"
#include "notify/subscriptions.h"
#include "notify/test_fixture.h"
#include "report/json.h"
#include "report/model.h"
#include "util/file.h"
#include "util/test_support.h"

namespace kci::notify {
namespace {

namespace fs = std::filesystem;

fs::path live_testdata() { return fs::path(KCI_SOURCE_DIR) / "src/notify/testdata/live"; }

MailContext context() {
  MailContext c;
  c.subscription = "mainline";
  c.from = {"kci", "bot@kci.example.org"};
  c.to = {{"", "kernelci-results@example.org"}};
  c.domain = "kci.example.org";
  c.date = 1796587200;
  return c;
}

// Loads a KCIDB file through ingest and analyses the database.
void load(testing::TestDatabase& db, const fs::path& file) {
  json::Document doc;
  std::string text = read_file(file.string());
  doc.Parse(text.data(), text.size());
  ASSERT_FALSE(doc.HasParseError()) << file;
  ingest::Loader(*db.store).load(report::from_json(doc));
  analysis::Analyzer(*db.store, *db.sql).rebuild();
}

CheckoutReports reports_of(testing::TestDatabase& db, const std::string& checkout) {
  AnalysisReportSource source(*db.store, *db.sql, "https://kci.example.org");
  return source.reports(CheckoutInfo{checkout, "mainline", "master", "lab", {}, ""});
}

class LiveTestReport : public testing::DatabaseFixture<> {
 protected:
  void SetUp() override { open_database("live-test-report"); }
};

const TestReport* plan(const CheckoutReports& r, const std::string& name) {
  for (const auto& t : r.tests) {
    if (t.plan == name) return &t;
  }
  return nullptr;
}

std::vector<std::string> failure_paths(const TestReport& t) {
  std::vector<std::string> out;
  for (const auto& run : t.test_runs) {
    for (const auto& f : run.failures) out.push_back(f.path);
  }
  return out;
}

std::vector<std::string> unstable_paths(const TestReport& t) {
  std::vector<std::string> out;
  for (const auto& u : t.unstable) out.push_back(u.path);
  return out;
}

TEST(Golden, LiveTestReportsListUnstableTestsApartAndNameKnownIssues) {
  for (const fs::path& input : kci::testing::golden_inputs(live_testdata(), ".kcidb.json")) {
    fs::path dir = testing::fresh_temp_dir("live-golden");
    std::string mails;
    {
      auto db = testing::TestDatabase::sqlite(dir);
      load(*db, input);
      for (const auto& t : reports_of(*db, "lab:c4").tests)
        mails += render_message(compose_mail(render_test_report(t), context()));
    }
    fs::remove_all(dir);
    fs::path expected = input;
    expected.replace_extension().replace_extension(".eml");
    EXPECT_TRUE(kci::testing::check_golden(expected, mails)) << input;
  }
}

TEST_F(LiveTestReport, UnstableFailuresAreApartKnownIssuesNamedRegressionsCounted) {
  load(*db_, live_testdata() / "unstable_and_known.kcidb.json");
  CheckoutReports r = reports_of(*db_, "lab:c4");
  ASSERT_EQ(r.tests.size(), 2u);
  const TestReport* baseline = plan(r, "baseline");
  ASSERT_TRUE(baseline);
  // login (new) and dmesg.emerg (since c3) are regressions; the known
  // issue's failure is listed with it; dmesg.crit (PASS FAIL PASS FAIL) is
  // unstable and failed once: apart.
  std::vector<std::string> failing = failure_paths(*baseline);
  std::sort(failing.begin(), failing.end());
  EXPECT_EQ(failing, (std::vector<std::string>{"baseline.bootrr.deferred-probe-empty",
                                               "baseline.dmesg.emerg", "baseline.login"}));
  EXPECT_EQ(unstable_paths(*baseline), std::vector<std::string>{"baseline.dmesg.crit"});
  RenderedReport mail = render_test_report(*baseline);
  EXPECT_TRUE(mail.has_regressions);
  EXPECT_NE(mail.subject.find(": 1 run, 2 regressions (v6.13-rc4)"), std::string::npos)
      << mail.subject;
  EXPECT_NE(mail.body.find("lab:issue-17 \"bootrr: deferred probe of the virtio GPU\""),
            std::string::npos)
      << mail.body;
  std::string regressions = mail.body.substr(0, mail.body.find("Known Issues"));
  EXPECT_EQ(regressions.find("baseline.dmesg.crit"), std::string::npos) << mail.body;
  EXPECT_NE(mail.body.find("Unstable Tests"), std::string::npos) << mail.body;

  // A plan whose only failure is an unstable test: a report with no
  // regression, sent only to a subscription that asks for every report.
  const TestReport* kselftest = plan(r, "kselftest");
  ASSERT_TRUE(kselftest);
  EXPECT_TRUE(failure_paths(*kselftest).empty());
  EXPECT_EQ(unstable_paths(*kselftest), std::vector<std::string>{"kselftest.timers.rtc"});
  EXPECT_FALSE(render_test_report(*kselftest).has_regressions);

  // A subscription for x86_64 only keeps the unstable test of x86_64.
  Subscription x86;
  x86.architectures = {"x86_64"};
  EXPECT_EQ(unstable_paths(narrow_test_report(*baseline, x86)),
            std::vector<std::string>{"baseline.dmesg.crit"});
  EXPECT_TRUE(narrow_test_report(*kselftest, x86).unstable.empty());

  NotifierConfig config;
  Subscription regressions_only, always;
  regressions_only.name = "regressions";
  regressions_only.kinds = {ReportKind::kTest};
  regressions_only.to = {Address{"", "regressions@example.org"}};
  always = regressions_only;
  always.name = "always";
  always.to = {Address{"", "always@example.org"}};
  always.regressions_only = false;
  config.subscriptions = {regressions_only, always};
  Notifier n(*db_->sql, config);
  CheckoutInfo c4 = n.checkout_info("lab:c4");
  // regressions: baseline only; always: baseline and kselftest.
  EXPECT_EQ(n.queue_reports(c4, r, 100), 3);
  for (const auto& m : n.outbox().due_messages(100)) {
    if (m.find("kselftest: 1 run, 0 regressions") != std::string::npos) {
      EXPECT_NE(m.find("always@example.org"), std::string::npos) << m;
      EXPECT_NE(m.find("kselftest.timers.rtc"), std::string::npos) << m;
    }
  }
}

// Once the unstable test fails again in a row, the analysis reports it: it
// becomes a regression and leaves the Unstable Tests section.
TEST_F(LiveTestReport, AnUnstableTestFailingAgainBecomesARegression) {
  load(*db_, live_testdata() / "unstable_and_known.kcidb.json");
  report::Report more;
  report::Checkout co;
  co.id = "lab:c5";
  co.origin = "lab";
  co.tree_name = "mainline";
  co.git_repository_url = "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git";
  co.git_repository_branch = "master";
  co.git_commit_hash = std::string(40, '5');
  co.git_commit_name = "v6.13-rc5";
  co.start_time = "2026-12-05T10:00:00+00:00";
  more.checkouts.push_back(co);
  report::Build b;
  b.id = "lab:b5-x86_64";
  b.checkout_id = co.id;
  b.origin = "lab";
  b.architecture = "x86_64";
  b.config_name = "x86_64_defconfig";
  b.compiler = "gcc-12";
  b.status = "PASS";
  b.start_time = co.start_time;
  more.builds.push_back(b);
  report::Test t;
  t.id = "lab:t5-crit";
  t.build_id = b.id;
  t.origin = "lab";
  t.path = "baseline.dmesg.crit";
  t.status = "FAIL";
  t.start_time = co.start_time;
  t.environment_misc = R"({"platform":"qemu-x86_64"})";
  more.tests.push_back(t);
  ingest::Loader(*db_->store).load(more);
  analysis::Analyzer(*db_->store, *db_->sql).rebuild();

  CheckoutReports r = reports_of(*db_, "lab:c5");
  const TestReport* baseline = plan(r, "baseline");
  ASSERT_TRUE(baseline);
  EXPECT_EQ(failure_paths(*baseline), std::vector<std::string>{"baseline.dmesg.crit"});
  EXPECT_TRUE(baseline->unstable.empty());
  EXPECT_TRUE(render_test_report(*baseline).has_regressions);
}

}  // namespace
}  // namespace kci::notify
