// SPDX-License-Identifier: LGPL-2.1-or-later
#include "analysis/category.h"

#include "analysis/history.h"

namespace kci::analysis {

const char* category_name(Category c) {
  switch (c) {
    case Category::kRegression: return "regression";
    case Category::kFixed: return "fixed";
    case Category::kStillFailing: return "still_failing";
    case Category::kNewFailure: return "new_failure";
    case Category::kNewPass: return "new_pass";
    case Category::kAppeared: return "appeared";
    case Category::kDisappeared: return "disappeared";
    case Category::kInconclusive: return "inconclusive";
    case Category::kUnchanged: return "unchanged";
  }
  return "unchanged";
}

Category categorize(const std::optional<std::string>& a, const std::optional<std::string>& b) {
  if (!b) return a ? Category::kDisappeared : Category::kUnchanged;
  Signal sb = signal_of(*b);
  if (!a) {
    if (sb == Signal::kFail) return Category::kNewFailure;
    if (sb == Signal::kPass) return Category::kNewPass;
    if (sb == Signal::kInfra) return Category::kInconclusive;
    return Category::kAppeared;
  }
  Signal sa = signal_of(*a);
  if (sa == Signal::kInfra || sb == Signal::kInfra) return Category::kInconclusive;
  if (sa == Signal::kPass)
    return sb == Signal::kFail ? Category::kRegression : Category::kUnchanged;
  if (sa == Signal::kFail) {
    if (sb == Signal::kFail) return Category::kStillFailing;
    if (sb == Signal::kPass) return Category::kFixed;
    return Category::kUnchanged;
  }
  if (sb == Signal::kFail) return Category::kNewFailure;
  if (sb == Signal::kPass) return Category::kNewPass;
  return Category::kUnchanged;
}

}  // namespace kci::analysis
