// SPDX-License-Identifier: LGPL-2.1-or-later
// The read side of the analysis: answers from the analysis tables only
// (each question reads the rows of one or two checkouts, one identity or
// the active regressions, through an index; none scans all results). Used
// by `kci compare | regressions | history | summary`, by the server's
// /api/v1/ routes, and by triage, notifications and the dashboard.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/category.h"
#include "analysis/history.h"
#include "analysis/identity.h"
#include "store/sql.h"

namespace kci::analysis {

// An identity and its state now.
struct IdentityInfo {
  std::string key;
  Identity identity;
  long long results = 0, pass = 0, fail = 0, infra = 0, neutral = 0, flips = 0;
  std::string last_status;
  bool unstable = false;
  std::string summary;  // the email sentence now ("" when passing)
};

// A checkout as the analysis knows it.
struct CheckoutInfo {
  std::string id, origin, tree_name, git_repository_url, git_repository_branch, git_commit_hash,
      describe, order_time;
};
std::optional<CheckoutInfo> checkout_info(store::SqlConnection& sql, const std::string& id);

// ---- compare ----
struct CompareSide {
  std::string id, status;  // the build/test id, its status ("" = none)
};
struct CompareItem {
  std::string key;
  Identity identity;
  std::optional<CompareSide> a, b;
};
struct CompareResult {
  std::string a, b;
  Kind kind = Kind::kTest;
  std::map<Category, std::vector<CompareItem>> items;  // listed categories only
};
// Compares the tests (or builds) of checkouts a (before) and b (after). An
// identity with several results in one checkout counts its last one (by
// start_time, then id). Throws InvalidInputError when a checkout is unknown.
CompareResult compare(store::SqlConnection& sql, const std::string& a, const std::string& b,
                      Kind kind = Kind::kTest);

// ---- regressions ----
struct RegressionFilter {
  std::optional<std::string> tree, branch, origin, identity_key;
  bool all = false;  // closed ones, and unstable ones not yet reported, too
  // Without `all`: the active ones the analysis holds back (unstable, not
  // reported yet) too.
  bool unreported = false;
  // Only those whose newest failure is in this checkout (a report's).
  std::optional<std::string> last_fail_checkout;
};
struct PointInfo {
  std::string id, checkout_id, describe, time;
};
struct RegressionInfo {
  std::string id;
  IdentityInfo identity;
  bool active = false, unstable = false, reported = false;
  long long fail_count = 0, failing_since_days = 0;
  PointInfo last_pass, first_fail, last_fail;
  std::optional<PointInfo> fixed_by;
  std::string summary;
};
std::vector<RegressionInfo> regressions(store::SqlConnection& sql, const RegressionFilter& filter);

// ---- history ----
struct IdentityQuery {
  std::optional<std::string> origin, tree, branch, architecture, config_name, compiler, path,
      platform;
  Kind kind = Kind::kTest;
};
// The identities matching every given field (at most `limit`).
std::vector<IdentityInfo> find_identities(store::SqlConnection& sql, const IdentityQuery& q,
                                          std::size_t limit = 1000);
// The identity of a result, if the analysis knows the result.
std::optional<IdentityInfo> identity_of(store::SqlConnection& sql, Kind kind,
                                        const std::string& object_id);
std::optional<IdentityInfo> identity_by_key(store::SqlConnection& sql, const std::string& key);
struct HistoryResult {
  IdentityInfo identity;
  std::vector<HistoryEntry> entries;  // oldest first
  std::vector<RegressionInfo> regressions;
};
HistoryResult history(store::SqlConnection& sql, const IdentityInfo& identity);

// ---- summary ----
struct SummaryGroup {
  std::string kind, platform, architecture, lab, compiler, config_name;
  std::map<std::string, long long> statuses;  // status ("" = none) -> count
};
struct CheckoutSummary {
  CheckoutInfo checkout;
  // "build" / "boot" / "test" -> status -> count.
  std::map<std::string, std::map<std::string, long long>> counts;
  std::vector<SummaryGroup> groups;  // boots and tests, by platform, arch, lab, compiler, config
};
std::optional<CheckoutSummary> summary(store::SqlConnection& sql, const std::string& checkout_id);

}  // namespace kci::analysis
