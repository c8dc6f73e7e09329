// SPDX-License-Identifier: LGPL-2.1-or-later
// A bisection's culprit as KCIDB objects, so that the store, the dashboard
// and the emails show it like any other known issue: one issue (culprit:
// code) and an incident on each failing result it explains.
#pragma once

#include <string>
#include <vector>

#include "bisect/bisector.h"
#include "report/model.h"

namespace kci::bisect {

struct CulpritReportInput {
  std::string origin = "kci";
  std::string tree_url;                        // git URL of the tree, for the comment
  std::string test_path;                       // what regressed ("" for a build bisection)
  std::vector<std::string> failing_test_ids;   // incidents on these tests
  std::vector<std::string> failing_build_ids;  // and on these builds
};

// The issue id is ORIGIN:bisect-COMMIT12 and its version 1, so a second
// bisection that lands on the same commit updates the same issue.
// Throws BisectError when the result has no culprit.
report::Report culprit_report(const BisectResult& result, const CulpritReportInput& input);

}  // namespace kci::bisect
