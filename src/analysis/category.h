// SPDX-License-Identifier: LGPL-2.1-or-later
// The tree-compare categories of two checkouts A (before) and B (after), as
// the KernelCI dashboard names them, for one identity.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace kci::analysis {

enum class Category {
  kRegression,    // PASS -> FAIL
  kFixed,         // FAIL -> PASS
  kStillFailing,  // FAIL -> FAIL
  kNewFailure,    // no result, or a neutral one (SKIP/DONE/none), in A -> FAIL
  kNewPass,       // no result, or a neutral one, in A -> PASS
  kAppeared,      // no result in A -> a neutral result in B
  kDisappeared,   // a result in A -> none in B
  kInconclusive,  // ERROR or MISS on either side
  kUnchanged,     // everything else (PASS -> PASS, X -> neutral): not listed
};
inline constexpr std::array<Category, 8> kListedCategories = {
    Category::kRegression, Category::kFixed,    Category::kStillFailing, Category::kNewFailure,
    Category::kNewPass,    Category::kAppeared, Category::kDisappeared,  Category::kInconclusive};

// "regression", "fixed", "still_failing", "new_failure", "new_pass",
// "appeared", "disappeared", "inconclusive", "unchanged".
const char* category_name(Category c);

// a/b: the status of the identity's result in A/B (nullopt: no result;
// "" : a result without status).
Category categorize(const std::optional<std::string>& a, const std::optional<std::string>& b);

}  // namespace kci::analysis
