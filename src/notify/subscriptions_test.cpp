// SPDX-License-Identifier: LGPL-2.1-or-later
#include "notify/subscriptions.h"

#include <gtest/gtest.h>

#include "util/error.h"

namespace kci::notify {
namespace {

std::string dir() { return std::string(KCI_SOURCE_DIR) + "/src/notify/testdata/subscriptions/"; }

TEST(Subscriptions, DashboardFileAsItIs) {
  auto subs = load_subscriptions(dir() + "mainline.yaml");
  ASSERT_EQ(subs.size(), 2u);
  EXPECT_EQ(subs[0].tree, "mainline");
  EXPECT_EQ(subs[0].branch, "master");
  EXPECT_EQ(subs[0].origin, "maestro");
  EXPECT_FALSE(subs[0].regressions_only);
  EXPECT_EQ(subs[0].line, 5);
  ASSERT_EQ(subs[0].to.size(), 1u);
  EXPECT_EQ(subs[0].to[0].email, "kernelci-results@groups.io");
  EXPECT_TRUE(subs[1].regressions_only);
  EXPECT_EQ(subs[1].test_path, "kselftest.*");
  ASSERT_EQ(subs[1].to.size(), 2u);  // the defaults and its own
  EXPECT_EQ(subs[1].to[1].name, "Shuah Khan");
}

TEST(Subscriptions, KciRulesMatchAndNarrow) {
  auto subs = load_subscriptions(dir() + "kci-rules.yaml");
  ASSERT_EQ(subs.size(), 2u);
  const Subscription& s = subs[0];
  EXPECT_EQ(s.name, "arm64-baseline");
  ReportFacts f{ReportKind::kTest, "mainline", "master", "kci", true};
  EXPECT_TRUE(subscription_matches(s, f));
  f.has_regressions = false;
  EXPECT_FALSE(subscription_matches(s, f));  // regressions only
  f.has_regressions = true;
  f.kind = ReportKind::kBuild;
  EXPECT_FALSE(subscription_matches(s, f));
  f.kind = ReportKind::kTest;
  f.origin = "maestro";
  EXPECT_FALSE(subscription_matches(s, f));
  EXPECT_TRUE(subscription_matches(subs[1], {ReportKind::kBuild, "next", "master", "x", false}));

  TestReport r;
  for (auto [platform, arch] :
       {std::pair{"bcm2837-rpi-3-b", "arm64"}, {"qemu-x86_64", "x86_64"}, {"rk3399", "arm64"}}) {
    TestRun run;
    run.platform = platform;
    run.arch = arch;
    r.test_runs.push_back(run);
  }
  for (const char* path : {"baseline.login", "kselftest.x"}) {
    TestCaseFailure failure;
    failure.path = path;
    r.test_runs[0].failures.push_back(failure);
  }
  auto n = narrow_test_report(r, s);
  ASSERT_EQ(n.test_runs.size(), 1u);
  ASSERT_EQ(n.test_runs[0].failures.size(), 1u);
  EXPECT_EQ(n.test_runs[0].failures[0].path, "baseline.login");
}

void expect_error(const std::string& yaml, const std::string& where) {
  try {
    parse_subscriptions(yaml, "subs.yaml");
    ADD_FAILURE() << "no error for:\n" << yaml;
  } catch (const InvalidInputError& e) {
    EXPECT_NE(std::string(e.what()).find(where), std::string::npos)
        << e.what() << " does not name " << where;
  }
}

TEST(Subscriptions, ErrorsNameTheLine) {
  // A file that subscribes nobody is refused (issue 18).
  expect_error("", "subs.yaml: no subscriptions (an empty file)");
  expect_error("subscriptions: []\n", "subs.yaml:1: no subscriptions (the 'subscriptions' list");
  expect_error("tree: mainline\ndefault_recipients: [a@b.org]\n",
               "subs.yaml:1: no subscriptions (no 'reports')");
  expect_error("tree: mainline\nreports: []\n", "subs.yaml:2: no subscriptions (no 'reports')");
  expect_error("tree: mainline\nreports:\n", "subs.yaml:2: no subscriptions (no 'reports')");
  expect_error("subscriptions:\n  - name: a\n    to: [a@b.org]\n    colour: red\n",
               "subs.yaml:4: unknown key \"colour\"");
  // Two to: lists: yaml-cpp keeps both and a lookup would find one.
  expect_error("subscriptions:\n  - name: a\n    to: [a@b.org]\n    to: [c@d.org]\n",
               "subs.yaml:4: duplicate key \"to\"");
  expect_error(
      "subscriptions:\n  - name: a\n    to:\n      - ok@b.org\n      - \"x\\r\\nBcc: y@z\"\n",
      "subs.yaml:5: to: invalid address");
  expect_error("subscriptions:\n  - name: a\n    kinds: [test, boot]\n    to: [a@b.org]\n",
               "subs.yaml:3: kinds: unknown report kind \"boot\"");
  expect_error("subscriptions:\n  - name: a\n    regressions_only: maybe\n    to: [a@b.org]\n",
               "subs.yaml:3: regressions_only: expected true or false");
  expect_error("subscriptions:\n  - name: a\n", "subs.yaml:2: to: at least one recipient");
  expect_error("reports:\n  - branch: master\n", "subs.yaml:2: no recipients");
  expect_error("reports: [\n", "subs.yaml:");
  expect_error("- a\n- b\n", "subs.yaml:1: expected a mapping at the top");
}

}  // namespace
}  // namespace kci::notify
