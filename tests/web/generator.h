// SPDX-License-Identifier: LGPL-2.1-or-later
// Realistic KernelCI-shaped results for the dashboard's tests and bench:
// trees x branches x origins, a checkout a day, a build matrix, tests per
// platform with labs and plans, a planted regression, a flaky test,
// infrastructure errors. Deterministic for a given seed. And a report whose
// every string is hostile (the XSS test).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

#include "report/model.h"

namespace kci::webtest {

struct GeneratorOptions {
  int branches = 6;              // tree/branch/origin combinations (at most 8)
  int checkouts_per_branch = 6;  // one a day, the newest today
  int tests_per_platform = 8;    // test paths per platform and build
  std::uint32_t seed = 1;
  // "Today" (default: the clock); fixed for golden pages.
  std::optional<std::chrono::system_clock::time_point> now;
};

// Calls sink once per checkout with that checkout's report (checkout,
// builds, tests); returns the number of tests generated.
std::size_t generate(const GeneratorOptions& options,
                     const std::function<void(report::Report&)>& sink);

// The test path that regresses (PASS, then FAIL from the third newest
// checkout of each branch on), and the one that flips.
inline constexpr const char* kRegressingPath = "baseline.dmesg.alert";
inline constexpr const char* kFlakyPath = "kselftest.timers.rtcpie";

// One checkout with a build and a test whose every string field holds
// markup, event handlers and javascript:/data: URLs.
// `now`: its time (default: the clock).
report::Report hostile_report(
    std::optional<std::chrono::system_clock::time_point> now = std::nullopt);
// The same branch one day earlier, where the hostile test passed: the
// hostile strings then show in regressions, compare and bisection pages.
report::Report hostile_report_before(
    std::optional<std::chrono::system_clock::time_point> now = std::nullopt);
inline constexpr const char* kHostileCheckoutId = "xss:checkout";
inline constexpr const char* kHostileBuildId = "xss:build";
inline constexpr const char* kHostileTestId = "xss:test";
inline constexpr const char* kHostileIssueId = "xss:issue";

}  // namespace kci::webtest
