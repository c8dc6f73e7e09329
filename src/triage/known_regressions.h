// SPDX-License-Identifier: LGPL-2.1-or-later
// Regressions (analysis) seen through triage: a regression whose failing
// results show a known issue (an incident of it) is a known problem, not a
// new one. `kci regressions --exclude-known` and the live notifications
// read this.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "analysis/queries.h"
#include "store/store.h"

namespace kci::triage {

// The known issues (ids, sorted) of each regression's failing results (its
// first and last failure), by regression id; regressions without any are
// left out.
std::map<std::string, std::vector<std::string>> known_issues_of_regressions(
    store::Store& store, const std::vector<analysis::RegressionInfo>& regressions);

// The regressions without a known issue, in the given order.
std::vector<analysis::RegressionInfo> exclude_known(
    store::Store& store, std::vector<analysis::RegressionInfo> regressions);

}  // namespace kci::triage
