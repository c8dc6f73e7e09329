// SPDX-License-Identifier: LGPL-2.1-or-later
// What to bisect for a regression of the analysis tables (analysis/queries.h):
// good is the commit of its last pass's checkout, bad the commit of its first
// failure's checkout; the build configuration (architecture, config with its
// fragments, toolchain) is the failing build's, and for a test regression the
// test is the failing test's path, plan and platform. `kci bisect
// --regression ID` and the automatic bisection (auto_bisect.h) both start
// from it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/queries.h"
#include "bisect/culprit_report.h"
#include "bisect/kernel_step_runner.h"
#include "store/sql.h"
#include "store/store.h"

namespace kci::bisect {

struct BisectRequest {
  std::string regression_id;
  std::string identity_key;
  bool build_only = false;  // a build regression: the build is the verdict
  // The tree, as the identity names it.
  std::string origin, tree_name, git_repository_url, git_repository_branch;
  // The endpoints: KCIDB checkout ids, their commits and describes.
  std::string good_checkout, bad_checkout;
  std::string good, bad;
  std::string good_describe, bad_describe;
  // The failing build's configuration, in kbuild's words.
  std::string arch;       // KCIDB architecture: x86_64, arm64, ...
  std::string config;     // KCIDB config_name: DEFCONFIG[+FRAGMENT]...
  std::string toolchain;  // kbuild's toolchain (build misc.toolchain), e.g. gcc-12
  std::string compiler;   // the KCIDB compiler text, for reports
  // The test ("" for a build regression).
  std::string test_path, plan, platform, lab;
  std::string log_url;  // the first failure's log, for the email
  // The failing results the culprit explains (first and last failure).
  std::vector<std::string> failing_test_ids, failing_build_ids;
  bool operator==(const BisectRequest&) const = default;
};

// The request for one regression row. Reads the endpoints' checkouts from
// the analysis tables and the failing build (and test) from the store.
// Throws InvalidInputError naming the regression when something needed is
// missing (a checkout without a commit hash, a failing build without an
// architecture or config).
BisectRequest regression_request(store::SqlConnection& sql, store::Store& store,
                                 const analysis::RegressionInfo& regression);
// The same by regression id (as `kci regressions` prints it). Throws
// InvalidInputError when the analysis tables have no such regression.
BisectRequest regression_request(store::SqlConnection& sql, store::Store& store,
                                 const std::string& regression_id);
// The regression row by id (active or not), if any.
std::optional<analysis::RegressionInfo> find_regression(store::SqlConnection& sql,
                                                        const std::string& regression_id);

// The step runner's options for a request: `base` (source, build and
// artifact directories, timeouts) with the request's build and test.
KernelStepOptions step_options(const BisectRequest& request, KernelStepOptions base);
// The culprit report's input for a request (incidents on its failing results).
CulpritReportInput culprit_input(const BisectRequest& request, const std::string& origin);

// A request as one JSON object, and back (throws InvalidInputError).
std::string request_json(const BisectRequest& request);
BisectRequest request_from_json(std::string_view text);

}  // namespace kci::bisect
