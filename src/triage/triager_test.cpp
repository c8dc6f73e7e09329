// SPDX-License-Identifier: LGPL-2.1-or-later
#include "triage/triager.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "triage/derive.h"
#include "triage/issues_view.h"
#include "triage/on_ingest.h"

namespace kci::triage {
namespace {

namespace fs = std::filesystem;

const char* kOopsExcerpt =
    "[    2.731442] BUG: kernel NULL pointer dereference, address: 0000000000000010\n"
    "[    2.733329] Oops: 0000 [#1] PREEMPT SMP NOPTI\n"
    "[    2.735175] RIP: 0010:kci_null_deref_init+0x12/0x30\n"
    "[    2.737900] Call Trace:\n"
    "[    2.740022]  do_one_initcall+0x56/0x220\n"
    "[    2.742471] ---[ end trace 0000000000000000 ]---\n";

report::Report results(const std::string& log_path) {
  report::Report r;
  report::Checkout c;
  c.id = "maestro:c1";
  c.origin = "maestro";
  r.checkouts.push_back(c);
  report::Build b;
  b.id = "maestro:b1";
  b.checkout_id = "maestro:c1";
  b.origin = "maestro";
  b.architecture = "x86_64";
  b.compiler = "gcc-12";
  b.config_name = "defconfig";
  b.status = "PASS";
  r.builds.push_back(b);
  report::Build fb = b;
  fb.id = "maestro:b2";
  fb.status = "FAIL";
  fb.log_excerpt =
      "drivers/misc/a.c:4:19: error: 'kci_next_id' undeclared (first use in this function)\n";
  r.builds.push_back(fb);
  report::Test t;
  t.id = "maestro:t1";
  t.build_id = "maestro:b1";
  t.origin = "maestro";
  t.path = "baseline.login";
  t.status = "FAIL";
  t.start_time = "2026-12-01T10:00:00+00:00";
  t.environment_misc = R"({"platform":"qemu-x86_64"})";
  t.log_url = "file://" + log_path;
  r.tests.push_back(t);
  report::Test t2 = t;  // same crash, excerpt only, another lab
  t2.id = "arm:t2";
  t2.origin = "arm";
  t2.start_time = "2026-12-03T10:00:00+00:00";
  t2.environment_misc = R"({"platform":"qemu-x86_64-kvm"})";
  t2.log_url.reset();
  t2.log_excerpt = kOopsExcerpt;
  r.tests.push_back(t2);
  report::Test ok = t;
  ok.id = "maestro:t3";
  ok.status = "PASS";
  r.tests.push_back(ok);
  return r;
}

class TriageStore : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kci-triage-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    log_ = (dir_ / "t1.log").string();
    std::ofstream(log_) << "[    0.000000] Linux version 6.1.66\n"
                        << kOopsExcerpt
                        << "[    3.000000] usb 1-1: device descriptor read/64, error -71\n";
    store_ = store::open_store("sqlite:" + (dir_ / "kci.db").string());
    store_->init();
    store_->load(results(log_));
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string log_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(TriageStore, SignaturesAndRulesBecomeIssuesAndIncidents) {
  RuleSet rules = parse_rules(R"(issues:
  - id: kci:rule:usb-eproto
    report_subject: USB descriptor read errors on the lab's hubs
    culprit: harness
    match:
      platform: "qemu-*"
      log: ["usb [0-9-]+: device descriptor read/64, error -71"]
  - id: kci:rule:never
    match:
      architecture: riscv64
)",
                              "rules.yaml");
  Triager triager(rules);
  store::QueryIds ids;
  ids.builds = {"maestro:b1", "maestro:b2"};
  ids.tests = {"maestro:t1", "arm:t2", "maestro:t3"};
  TriageSummary s = triage_stored(*store_, ids, triager);
  EXPECT_EQ(s.results, 3u);  // b2, t1, t2 failed
  EXPECT_EQ(s.log_errors, 0u);
  // t1 and t2: the Oops; b2: the compiler error; t1: the USB rule.
  EXPECT_EQ(s.incidents, 4u);
  EXPECT_EQ(s.issues, 3u);

  auto all = list_issues(*store_);
  ASSERT_EQ(all.size(), 3u);
  const IssueSummary& oops = all[0];
  EXPECT_EQ(oops.issue.report_subject,
            "BUG: unable to handle kernel NULL pointer dereference in kci_null_deref_init");
  EXPECT_EQ(oops.incidents, 2u);
  EXPECT_EQ(oops.origins, (std::set<std::string>{"arm", "maestro"}));
  EXPECT_EQ(oops.platforms, (std::set<std::string>{"qemu-x86_64", "qemu-x86_64-kvm"}));
  EXPECT_EQ(oops.first_seen, "2026-12-01T10:00:00.000000+00:00");
  EXPECT_EQ(oops.last_seen, "2026-12-03T10:00:00.000000+00:00");
  EXPECT_TRUE(oops.issue.culprit_code.value_or(false));
  EXPECT_EQ(oops.issue.origin, "kci");

  auto usb = issue_details(*store_, "kci:rule:usb-eproto");
  ASSERT_TRUE(usb);
  EXPECT_EQ(usb->incidents, 1u);
  ASSERT_EQ(usb->details.size(), 1u);
  EXPECT_EQ(usb->details[0].result_id, "maestro:t1");
  EXPECT_TRUE(usb->issue.culprit_harness.value_or(false));
  EXPECT_FALSE(issue_details(*store_, "kci:rule:never"));

  auto known = known_issues_of(*store_, {"maestro:b1", "maestro:b2"}, {"maestro:t1", "maestro:t3"});
  EXPECT_EQ(known.size(), 2u);  // b2 and t1
  EXPECT_EQ(known["maestro:t1"].size(), 2u);
  EXPECT_EQ(known.count("maestro:t3"), 0u);

  // Triage again: same ids, nothing new.
  triage_stored(*store_, ids, triager);
  report::Report inc;
  store_->select(report::ObjectType::kIncident, {}, false, inc);
  EXPECT_EQ(inc.incidents.size(), 4u);
  EXPECT_EQ(
      *inc.incidents[0].id,
      incident_id(inc.incidents[0].test_id ? *inc.incidents[0].test_id : *inc.incidents[0].build_id,
                  *inc.incidents[0].issue_id, *inc.incidents[0].issue_version));

  // A new version of a rule re-matches: incidents of version 2 join.
  rules.rules[0].version = 2;
  Triager v2(rules);
  triage_stored(*store_, ids, v2);
  usb = issue_details(*store_, "kci:rule:usb-eproto");
  ASSERT_TRUE(usb);
  EXPECT_EQ(usb->issue.version, 2);
  EXPECT_EQ(usb->incidents, 2u);  // one per version
}

TEST_F(TriageStore, UnreadableLogFallsBackToTheExcerpt) {
  report::Report r;
  report::Test t;
  t.id = "maestro:t9";
  t.build_id = "maestro:b1";
  t.origin = "maestro";
  t.status = "FAIL";
  t.log_url = "file://" + (dir_ / "gone.log").string();
  t.log_excerpt = kOopsExcerpt;
  r.tests.push_back(t);
  store_->load(r);
  Triager triager(RuleSet{});
  store::QueryIds ids;
  ids.tests = {"maestro:t9"};
  TriageSummary s = triage_stored(*store_, ids, triager);
  EXPECT_EQ(s.log_errors, 1u);
  EXPECT_EQ(s.incidents, 1u);
}

TEST_F(TriageStore, ChangeEventsTriageStatusChanges) {
  Triager triager(RuleSet{});
  ingest::ObjectsChanged event;
  event.sequence = 7;
  event.tests = {"arm:t2", "maestro:t1", "maestro:t3"};
  event.tests_status_changed = {"arm:t2", "maestro:t3"};
  TriageSummary s = triage_event(*store_, event, triager);
  EXPECT_EQ(s.results, 1u);  // t3 passed; t1 did not change
  EXPECT_EQ(s.incidents, 1u);
  ingest::ObjectsChanged only_issues;
  only_issues.incidents = {"kci:x"};
  EXPECT_EQ(triage_event(*store_, only_issues, triager).results, 0u);
  // The subscriber form, on its own connection.
  auto sub = make_triage_subscriber(store_->spec(), std::make_shared<const Triager>(RuleSet{}));
  event.tests_status_changed = {"maestro:t1"};
  sub(event);
  report::Report inc;
  store_->select(report::ObjectType::kIncident, {}, false, inc);
  EXPECT_EQ(inc.incidents.size(), 2u);
}

TEST(LogFetch, FileUrlsLimitsAndErrors) {
  fs::path p = fs::temp_directory_path() / ("kci fetch " + std::to_string(::getpid()) + ".log");
  std::ofstream(p) << std::string(3000, 'a');
  std::string got;
  FetchOptions o;
  o.max_bytes = 1000;
  std::string url = "file://" + p.string();
  // percent-encoded space
  std::string encoded = url;
  encoded.replace(encoded.find("kci fetch"), 9, "kci%20fetch");
  FetchResult r = fetch_log(encoded, o, [&got](std::string_view c) { got += c; });
  EXPECT_EQ(got.size(), 1000u);
  EXPECT_TRUE(r.truncated);
  fs::remove(p);
  EXPECT_THROW(fetch_log(url, o, [](std::string_view) {}), FetchError);
  EXPECT_THROW(fetch_log("ftp://example.org/x", o, [](std::string_view) {}), FetchError);
  // Nothing listens on port 1 of loopback: a clear error, quickly.
  o.timeout_seconds = 5;
  EXPECT_THROW(fetch_log("http://127.0.0.1:1/log", o, [](std::string_view) {}), FetchError);
}

}  // namespace
}  // namespace kci::triage
