// SPDX-License-Identifier: LGPL-2.1-or-later
// Known-issue rules: a YAML file of KCIDB issues, each with the results it
// matches (test path glob, architecture, config, compiler, platform,
// status, regexes over the log and over log_excerpt).
//
//   issues:
//     - id: kci:rule:qemu-arm64-rcu-stall     # KCIDB issue id
//       version: 2                             # bump to re-match (default 1)
//       origin: kci                            # default kci
//       report_subject: RCU stall in QEMU arm64 under TCG
//       report_url: https://lore.kernel.org/...
//       comment: free text
//       culprit: harness                       # code | tool | harness (or a list)
//       match:
//         test_path: "baseline.*"              # glob(s): * ? [..]
//         architecture: [arm64]
//         config: "*defconfig*"
//         compiler: "gcc-*"
//         platform: qemu-arm64
//         status: [FAIL, ERROR]
//         log: ["rcu: INFO: rcu_(sched|preempt) detected stalls"]
//         log_excerpt: ["..."]
//
// Each filter is a string or a list of strings (any of them); a rule
// matches a result when every filter it has matches, and, if it has
// regexes, when one of its log or log_excerpt regexes is found (regexes
// match within one line: "." never crosses a newline, ^ and $ are line
// boundaries).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace kci::triage {

struct RuleFilters {
  std::vector<std::string> test_path, architecture, config, compiler, platform, status;
  std::vector<std::string> log, log_excerpt;  // regexes
};

struct KnownIssueRule {
  std::string id;
  std::int64_t version = 1;
  std::string origin = "kci";
  std::string report_subject, report_url, comment;
  bool culprit_code = false, culprit_tool = false, culprit_harness = false;
  RuleFilters match;
  std::size_t source_line = 0;  // where the rule starts in its file (1-based)
};

struct RuleSet {
  std::string source;  // file name, for messages
  std::vector<KnownIssueRule> rules;
};

// Parses a rules document. Throws InvalidInputError naming source:line and
// the problem (unknown key, bad culprit, duplicate id, invalid regex), and
// "source: no rules" for a document without any (empty, or an empty or
// missing 'issues' list).
RuleSet parse_rules(std::string_view yaml, const std::string& source);
RuleSet load_rules(const std::string& path);

// Shell-style glob: * ? and [abc] / [a-z] / [!a].
bool glob_match(std::string_view pattern, std::string_view text);

// What a failed build or test looks like to the rules.
struct ResultFacts {
  bool is_test = false;
  std::string id, origin, status, path, architecture, config, compiler, platform;
};

// True when the rule's attribute filters (not its regexes) accept r. A
// test_path filter never matches a build.
bool filters_accept(const RuleFilters& f, const ResultFacts& r);

}  // namespace kci::triage
