// SPDX-License-Identifier: LGPL-2.1-or-later
// A generator of KernelCI-shaped data with planted events and their ground
// truth: origins x trees x branches x checkouts (one a day) x a build matrix
// (architectures x configs x compilers) x platforms x test paths. Each test
// identity follows a scenario (stable, regression, regression then fix,
// never passing, unstable, skipped, appearing, disappearing); ERROR and MISS
// results are sprinkled inside runs (never on the result before or after a
// change of status); build-only configs (no tests) get build regressions;
// one branch of each tree is rebased every day (unrelated commit hashes).
// Deterministic for a seed. Used by tests, by bench/analysis_bench and by
// the kci-gen tool.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "analysis/identity.h"
#include "report/json.h"
#include "report/model.h"

namespace kci::analysis {

struct GenOptions {
  std::uint64_t seed = 1;
  int origins =
      1;  // maestro, arm, ...: the first uses environment.compatible, others misc.platform
  int trees = 2;
  int first_tree = 0;  // index of the first tree name (to add a disjoint data set)
  int branches = 2;    // per tree
  int checkouts = 12;  // per branch, one a day
  int architectures = 2;
  int configs = 2;             // per architecture, with tests
  int build_only_configs = 1;  // per architecture, without tests
  int compilers = 1;
  int platforms = 2;  // per architecture
  int paths = 10;     // per platform (path 0 is "boot")
  // Scenario shares (the rest is stable).
  double p_regression = 0.06, p_fix = 0.04, p_never = 0.02, p_unstable = 0.03, p_skip = 0.02,
         p_appear = 0.03, p_disappear = 0.02;
  double p_infra = 0.04;            // per result inside a run
  double p_build_regression = 0.3;  // per build-only config and branch
  std::string start = "2026-10-01T06:00:00+00:00";
};

// The truth of one identity.
struct TruthRegression {
  std::string last_pass, first_fail, last_fail;  // checkout ids
  bool active = true;
  int fail_count = 0;
};
struct TruthIdentity {
  Identity identity;
  std::string scenario;
  std::vector<TruthRegression> regressions;
  bool unstable = false;
  bool never_passed = false;  // fails now and never passed
  int infra = 0;              // ERROR + MISS results
  // One character per checkout of its branch: P F S (skip) E (error) M
  // (miss) or - (no result).
  std::string statuses;
};
struct TruthBranch {
  std::string origin, tree_name, url, branch;
  bool rebased = false;
  std::vector<std::string> checkouts;  // in order
};
struct Truth {
  std::vector<TruthBranch> branches;
  std::vector<TruthIdentity> identities;  // in order of branch, then generation
  std::size_t builds = 0, tests = 0;
  // Per checkout: counts by "build"/"boot"/"test" and status.
  std::map<std::string, std::map<std::string, std::map<std::string, int>>> counts;
  void to_json(json::Document& out) const;
};

class Generator {
 public:
  explicit Generator(GenOptions options);
  // Emits one report per checkout (the checkout, its builds and tests), in
  // order of origin, tree, branch, day. The report may be moved from.
  void run(const std::function<void(report::Report&)>& sink);
  const Truth& truth() const { return truth_; }

 private:
  GenOptions options_;
  Truth truth_;
};

}  // namespace kci::analysis
