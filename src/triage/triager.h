// SPDX-License-Identifier: LGPL-2.1-or-later
// Triage of failed builds and tests: each result's log (log_url, else its
// log_excerpt) is streamed once through the log scanner (console scanner for
// tests, build scanner for builds) and through the one multi-pattern
// automaton of all known-issue rules; the signatures found become issues
// of kci's own, the rules that match become incidents of the rules' issues.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "ingest/change_event.h"
#include "report/model.h"
#include "store/store.h"
#include "triage/finding.h"
#include "triage/log_fetch.h"
#include "triage/pattern_set.h"
#include "triage/rules.h"

namespace kci::triage {

struct TriageOptions {
  FetchOptions fetch;
  bool fetch_logs = true;  // false: look at log_excerpt only
  // Signatures per result that become issues (the first ones in the log).
  std::size_t max_issues_per_result = 10;
};

// What triage found in one result.
struct Outcome {
  std::vector<Finding> findings;   // issue-worthy findings (errors, uncorrupted reports)
  std::vector<std::size_t> rules;  // indexes into the rule set
  std::string log_error;           // the log could not be fetched (excerpt used)
};

class Triager {
 public:
  explicit Triager(RuleSet rules, TriageOptions options = {});
  const RuleSet& rules() const { return rules_; }

  Outcome triage(const ResultFacts& facts, const report::Text& log_url,
                 const report::Text& log_excerpt) const;

  // Appends the issues and incidents of an outcome to out (issues once
  // each: already present ids are not added again). `issues_in_out`, if
  // given, holds "id\tversion" of the issues in out (kept up to date here):
  // a caller adding many results to one report saves a scan per issue.
  void add_to_report(const ResultFacts& facts, const Outcome& outcome, report::Report& out,
                     std::unordered_set<std::string>* issues_in_out = nullptr) const;

 private:
  RuleSet rules_;
  TriageOptions options_;
  // Declared before the pattern sets: the constructor fills them while
  // compiling those.
  std::vector<std::size_t> log_rule_, excerpt_rule_;  // pattern id -> rule index
  std::vector<std::size_t> regexless_;                // rules matched on filters alone
  PatternSet log_patterns_, excerpt_patterns_;
};

// The facts of the failed builds and tests of `report` (tests take their
// architecture, config and compiler from their build when the report has
// it); results that did not fail (PASS, DONE, SKIP, no status) are left out.
std::vector<std::pair<ResultFacts, std::pair<report::Text, report::Text>>> failed_results(
    const report::Report& report);

struct TriageSummary {
  std::size_t results = 0;    // failed results looked at
  std::size_t issues = 0;     // issue objects written
  std::size_t incidents = 0;  // incident objects written
  std::size_t log_errors = 0;
};

// Triages the given builds and tests of the store and loads the issues and
// incidents found into it (one load through ingest::Loader, merged like any
// other report and announced in the change log, and on `bus` if given).
TriageSummary triage_stored(store::Store& store, const store::QueryIds& ids, const Triager& triager,
                            ingest::ChangeBus* bus = nullptr);

}  // namespace kci::triage
