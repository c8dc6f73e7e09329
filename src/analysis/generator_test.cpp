// SPDX-License-Identifier: LGPL-2.1-or-later
#include "analysis/generator.h"

#include <gtest/gtest.h>

#include <chrono>

#include "util/time.h"

#include <set>

#include "analysis/history.h"

namespace kci::analysis {
namespace {

TEST(Generator, DeterministicAndPlantsEveryScenario) {
  GenOptions o;
  o.origins = 2;
  Generator g1(o), g2(o);
  std::size_t reports = 0, tests1 = 0;
  std::string first_id;
  g1.run([&](report::Report& r) {
    ++reports;
    tests1 += r.tests.size();
    if (first_id.empty()) first_id = *r.tests.at(0).id;
  });
  std::size_t tests2 = 0;
  g2.run([&](report::Report& r) { tests2 += r.tests.size(); });
  EXPECT_EQ(tests1, tests2);
  EXPECT_EQ(tests1, g1.truth().tests);
  EXPECT_EQ(reports, static_cast<std::size_t>(2 * 2 * 2 * 12));
  EXPECT_EQ(first_id, "maestro:mainline-master-0:x86_64-defconfig-gcc-12:qemu-x86_64:boot");
  std::set<std::string> scenarios;
  for (const auto& t : g1.truth().identities) scenarios.insert(t.scenario);
  for (const char* s :
       {"stable", "regression", "fix", "never", "unstable", "skip", "appear", "disappear"})
    EXPECT_TRUE(scenarios.count(s)) << s;
}

// The truth the generator writes agrees with the state machine run on its
// own status letters (one a day).
TEST(Generator, TruthAgreesWithHistoryAnalysis) {
  GenOptions o;
  o.checkouts = 20;
  Generator g(o);
  g.run([](report::Report&) {});
  int regressions = 0, unstable = 0, infra = 0;
  for (const auto& t : g.truth().identities) {
    std::vector<HistoryEntry> h;
    for (std::size_t i = 0; i < t.statuses.size(); ++i) {
      char c = t.statuses[i];
      if (c == '-') continue;
      HistoryEntry e;
      e.order_time =
          format_rfc3339(*parse_rfc3339("2026-10-01T06:00:00+00:00") + std::chrono::hours(24 * i));
      e.checkout_id = "c" + std::to_string(100 + i);
      e.object_id = e.checkout_id;
      e.status = c == 'P'   ? "PASS"
                 : c == 'F' ? "FAIL"
                 : c == 'S' ? "SKIP"
                 : c == 'E' ? "ERROR"
                            : "MISS";
      h.push_back(e);
    }
    auto a = analyze_history("k", h, {});
    ASSERT_EQ(a.regressions.size(), t.regressions.size()) << t.statuses;
    for (std::size_t i = 0; i < a.regressions.size(); ++i) {
      EXPECT_EQ(a.regressions[i].active, t.regressions[i].active);
      EXPECT_EQ(a.regressions[i].fail_count, t.regressions[i].fail_count);
    }
    EXPECT_EQ(a.unstable, t.unstable) << t.statuses;
    EXPECT_EQ(a.summary == kNeverPassed, t.never_passed) << t.statuses;
    EXPECT_EQ(a.infra, t.infra);
    regressions += static_cast<int>(t.regressions.size());
    unstable += t.unstable;
    infra += t.infra;
  }
  EXPECT_GT(regressions, 5);
  EXPECT_GT(unstable, 0);
  EXPECT_GT(infra, 0);
}

}  // namespace
}  // namespace kci::analysis
