// SPDX-License-Identifier: LGPL-2.1-or-later
// Who gets which report. Two YAML forms, in the same loader:
//
// The KernelCI dashboard's per-tree files, as they are (the tree is the
// file's name unless the file says `tree:`):
//   default_recipients: [a@example.org]
//   reports:
//     - branch: master
//       origin: maestro
//       always: true           # send even without regressions
//       path: "baseline.*"     # test path glob
//       recipients: [b@example.org]
//
// kci's own rules:
//   subscriptions:
//     - name: arm64-baseline
//       tree: mainline          # globs: tree, branch, origin, test_path
//       branch: "*"
//       origin: kci
//       architecture: [arm64]   # any of
//       platform: [rk3399-*]    # globs, any of
//       test_path: "baseline.*"
//       kinds: [test, build, bisection, new-issue]
//       regressions_only: true
//       to: ["Name <a@example.org>"]
//       cc: [list@example.org]
//
// Errors name the file and line (InvalidInputError).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "notify/header.h"
#include "notify/render.h"
#include "notify/reports.h"

namespace kci::notify {

struct Subscription {
  std::string name;  // "mainline.yaml:3" unless given
  std::string file;
  int line = 0;
  std::string tree, branch, origin, test_path;        // globs; "" matches anything
  std::vector<std::string> architectures, platforms;  // empty: any
  std::set<ReportKind> kinds;                         // empty: every kind
  bool regressions_only = true;
  std::vector<Address> to, cc;
};

// Loads one file (either form). Throws InvalidInputError naming file:line,
// also for a file that subscribes nobody ("FILE: no subscriptions"), and
// kci::InputFileError for a file that cannot be opened.
std::vector<Subscription> load_subscriptions(const std::string& path);
// The same from text (name: the file name used in errors and for the tree
// of a dashboard file).
std::vector<Subscription> parse_subscriptions(const std::string& text, const std::string& name);

// What a report is about, for matching.
struct ReportFacts {
  ReportKind kind = ReportKind::kTest;
  std::string tree, branch, origin;
  bool has_regressions = true;
};

// Whether the subscription wants reports like this (tree, branch, origin,
// kind, regressions). Architecture, platform and test path narrow the
// report's content instead: see narrow_test_report.
bool subscription_matches(const Subscription& s, const ReportFacts& facts);

// The test report cut down to the runs and test cases the subscription
// selects (architecture, platform, test path).
TestReport narrow_test_report(const TestReport& report, const Subscription& s);
BuildReport narrow_build_report(const BuildReport& report, const Subscription& s);

bool glob_match(const std::string& pattern, const std::string& text);

}  // namespace kci::notify
