// SPDX-License-Identifier: LGPL-2.1-or-later
#include "triage/known_regressions.h"

#include <algorithm>

#include "triage/issues_view.h"

namespace kci::triage {

std::map<std::string, std::vector<std::string>> known_issues_of_regressions(
    store::Store& store, const std::vector<analysis::RegressionInfo>& regressions) {
  std::vector<std::string> builds, tests;
  for (const auto& r : regressions) {
    auto& ids = r.identity.identity.kind == analysis::Kind::kBuild ? builds : tests;
    for (const auto* p : {&r.first_fail, &r.last_fail})
      if (!p->id.empty()) ids.push_back(p->id);
  }
  std::map<std::string, std::vector<std::string>> out;
  if (builds.empty() && tests.empty()) return out;
  auto known = known_issues_of(store, builds, tests);
  for (const auto& r : regressions) {
    std::vector<std::string> issues;
    for (const auto* p : {&r.first_fail, &r.last_fail}) {
      auto it = known.find(p->id);
      if (it != known.end()) issues.insert(issues.end(), it->second.begin(), it->second.end());
    }
    if (issues.empty()) continue;
    std::sort(issues.begin(), issues.end());
    issues.erase(std::unique(issues.begin(), issues.end()), issues.end());
    out[r.id] = std::move(issues);
  }
  return out;
}

std::vector<analysis::RegressionInfo> exclude_known(
    store::Store& store, std::vector<analysis::RegressionInfo> regressions) {
  auto known = known_issues_of_regressions(store, regressions);
  std::erase_if(regressions, [&](const auto& r) { return known.count(r.id) > 0; });
  return regressions;
}

}  // namespace kci::triage
