// SPDX-License-Identifier: LGPL-2.1-or-later
#include "analysis/history.h"

#include <gtest/gtest.h>

#include <chrono>

#include "util/error.h"
#include "util/time.h"

#include "analysis/category.h"

namespace kci::analysis {
namespace {

// Entries one a day from 2026-11-01, statuses by letter (P F E M S).
std::vector<HistoryEntry> days(const std::string& statuses) {
  std::vector<HistoryEntry> out;
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    HistoryEntry e;
    e.order_time =
        format_rfc3339(*parse_rfc3339("2026-11-01T10:00:00+00:00") + std::chrono::hours(24 * i));
    e.checkout_id = "o:c" + std::to_string(i);
    e.object_id = "o:t" + std::to_string(i);
    e.describe = "v6.13-" + std::to_string(i);
    switch (statuses[i]) {
      case 'P': e.status = "PASS"; break;
      case 'F': e.status = "FAIL"; break;
      case 'E': e.status = "ERROR"; break;
      case 'M': e.status = "MISS"; break;
      case 'S': e.status = "SKIP"; break;
      default: break;
    }
    out.push_back(e);
  }
  return out;
}

TEST(History, NewFailureNamesTheLastPass) {
  auto a = analyze_history("k", days("PPF"), {});
  ASSERT_EQ(a.regressions.size(), 1u);
  const auto& r = a.regressions[0];
  EXPECT_TRUE(r.active);
  EXPECT_EQ(r.last_pass.checkout_id, "o:c1");
  EXPECT_EQ(r.first_fail.checkout_id, "o:c2");
  EXPECT_EQ(r.id, "k/o:t2");
  EXPECT_EQ(r.summary, "new failure (last pass: v6.13-1)");
  EXPECT_EQ(a.summary, r.summary);
}

TEST(History, FailingSinceCountsDaysFromFirstToLastFailure) {
  auto a = analyze_history("k", days("PFEFMF"), {});
  ASSERT_EQ(a.regressions.size(), 1u);
  const auto& r = a.regressions[0];
  EXPECT_EQ(r.fail_count, 3);
  EXPECT_EQ(r.failing_since_days, 4);
  EXPECT_EQ(r.last_fail.checkout_id, "o:c5");
  EXPECT_EQ(r.summary, "failing since 4 days (last pass: v6.13-0, first fail: v6.13-1)");
  EXPECT_EQ(a.infra, 2);
  auto one = analyze_history("k", days("PFF"), {});
  EXPECT_EQ(one.regressions[0].summary,
            "failing since 1 day (last pass: v6.13-0, first fail: v6.13-1)");
}

TEST(History, InfraErrorsNeitherOpenNorClose) {
  auto a = analyze_history("k", days("PEMPEFEEF"), {});
  ASSERT_EQ(a.regressions.size(), 1u);
  EXPECT_EQ(a.regressions[0].last_pass.checkout_id, "o:c3");
  EXPECT_EQ(a.regressions[0].first_fail.checkout_id, "o:c5");
  EXPECT_TRUE(a.regressions[0].active);
  auto b = analyze_history("k", days("PFEEE"), {});
  EXPECT_TRUE(b.regressions[0].active);
  EXPECT_EQ(b.last_status, "ERROR");
}

TEST(History, PassClosesAndNeverPassed) {
  auto a = analyze_history("k", days("PFFPP"), {});
  ASSERT_EQ(a.regressions.size(), 1u);
  EXPECT_FALSE(a.regressions[0].active);
  ASSERT_TRUE(a.regressions[0].fixed_by);
  EXPECT_EQ(a.regressions[0].fixed_by->checkout_id, "o:c3");
  EXPECT_EQ(a.summary, "");
  auto n = analyze_history("k", days("FSFEF"), {});
  EXPECT_TRUE(n.regressions.empty());
  EXPECT_EQ(n.summary, "never passed");
  auto s = analyze_history("k", days("SSS"), {});
  EXPECT_EQ(s.summary, "");
  EXPECT_EQ(s.neutral, 3);
}

TEST(History, UnstableNeedsTwoFlipsInWindowAndDelaysReporting) {
  auto a = analyze_history("k", days("PPPPFPF"), {});
  EXPECT_TRUE(a.unstable);
  ASSERT_EQ(a.regressions.size(), 2u);
  EXPECT_FALSE(a.regressions[0].unstable);  // one flip when it opened
  EXPECT_TRUE(a.regressions[0].reported);
  EXPECT_TRUE(a.regressions[1].unstable);
  EXPECT_FALSE(a.regressions[1].reported);  // one failure of an unstable identity
  auto b = analyze_history("k", days("PPPPFPFF"), {});
  EXPECT_TRUE(b.regressions[1].reported);  // failed twice in a row
  // ERROR/MISS are neither flips nor breaks.
  auto c = analyze_history("k", days("PPPPFEEMF"), {});
  EXPECT_FALSE(c.unstable);
  EXPECT_EQ(c.flips, 1);
}

TEST(History, UnstableWindowIsBoundedInCountAndDays) {
  // The flips are 11+ results back: outside the 10-result window.
  auto a = analyze_history("k", days("PFPPPPPPPPPPP"), {});
  EXPECT_FALSE(a.unstable);
  AnalysisOptions o;
  o.unstable_window = 20;
  EXPECT_TRUE(analyze_history("k", days("PFPPPPPPPPPPP"), o).unstable);
  // The flips are more than 3 days before the newest result.
  o.unstable_days = 3;
  EXPECT_FALSE(analyze_history("k", days("PFPPPPP"), o).unstable);
  EXPECT_TRUE(analyze_history("k", days("PPPPFPP"), o).unstable);
}

TEST(History, OrderIsCheckoutTimeThenIds) {
  HistoryEntry a{"2026-11-01T00:00:00.000000+00:00", "c2", "", "t1", "PASS", "", ""};
  HistoryEntry b{"2026-11-02T00:00:00.000000+00:00", "c1", "", "t0", "PASS", "", ""};
  HistoryEntry c{"2026-11-02T00:00:00.000000+00:00",
                 "c1",
                 "2026-11-02T01:00:00.000000+00:00",
                 "t0",
                 "PASS",
                 "",
                 ""};
  EXPECT_TRUE(history_less(a, b));
  EXPECT_TRUE(history_less(b, c));
  EXPECT_FALSE(history_less(c, b));
  // A git order key (git_order.h) orders before times: ancestry first.
  HistoryEntry g1 = c, g2 = a;
  g1.order_key = generation_key(5);
  g2.order_key = generation_key(6);
  EXPECT_TRUE(history_less(g1, g2));
  EXPECT_FALSE(history_less(g2, g1));
  EXPECT_EQ(normalize_time(std::string("2026-11-02T03:00:00+02:00")),
            "2026-11-02T01:00:00.000000+00:00");
  EXPECT_EQ(normalize_time(std::string("yesterday")), "");
}

TEST(History, StateRoundTripsAndResumes) {
  auto all = days("PPFEFFPSPFF");
  HistoryState st;
  std::vector<Regression> closed;
  for (std::size_t i = 0; i < 6; ++i) add_to_history(st, "k", all[i], {}, closed);
  HistoryState back = state_from_json(state_to_json(st));
  EXPECT_EQ(back, st);
  for (std::size_t i = 6; i < all.size(); ++i) add_to_history(back, "k", all[i], {}, closed);
  auto resumed = analysis_of(back, closed, {});
  auto whole = analyze_history("k", all, {});
  EXPECT_EQ(resumed.regressions, whole.regressions);
  EXPECT_EQ(resumed.summary, whole.summary);
  EXPECT_EQ(resumed.flips, whole.flips);
  EXPECT_THROW(state_from_json("{\"last\":1}"), InvalidInputError);
}

TEST(Category, EveryTransition) {
  using O = std::optional<std::string>;
  EXPECT_EQ(categorize(O("PASS"), O("FAIL")), Category::kRegression);
  EXPECT_EQ(categorize(O("FAIL"), O("PASS")), Category::kFixed);
  EXPECT_EQ(categorize(O("FAIL"), O("FAIL")), Category::kStillFailing);
  EXPECT_EQ(categorize(std::nullopt, O("FAIL")), Category::kNewFailure);
  EXPECT_EQ(categorize(O("SKIP"), O("FAIL")), Category::kNewFailure);
  EXPECT_EQ(categorize(std::nullopt, O("PASS")), Category::kNewPass);
  EXPECT_EQ(categorize(std::nullopt, O("SKIP")), Category::kAppeared);
  EXPECT_EQ(categorize(O("PASS"), std::nullopt), Category::kDisappeared);
  EXPECT_EQ(categorize(O("PASS"), O("ERROR")), Category::kInconclusive);
  EXPECT_EQ(categorize(O("MISS"), O("FAIL")), Category::kInconclusive);
  EXPECT_EQ(categorize(O("PASS"), O("PASS")), Category::kUnchanged);
  EXPECT_EQ(categorize(O("FAIL"), O("")), Category::kUnchanged);
  EXPECT_STREQ(category_name(Category::kStillFailing), "still_failing");
}

}  // namespace
}  // namespace kci::analysis
