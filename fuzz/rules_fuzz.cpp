// SPDX-License-Identifier: LGPL-2.1-or-later
// The two YAML files operators write besides the pipeline: notification
// subscriptions (`kci notify`, both the dashboard's per-tree form and
// kci's own) and known-issue rules (`kci issues`, triage), the same bytes
// given to both parsers; the rules' regexes compiled into one pattern set
// and matched against a line. Invariant: bad YAML only raises
// InvalidInputError naming the place, never a crash or another exception.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz.h"
#include "notify/subscriptions.h"
#include "triage/pattern_set.h"
#include "triage/rules.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kci;
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    std::vector<notify::Subscription> subs = notify::parse_subscriptions(text, "mainline.yaml");
    notify::ReportFacts facts;
    facts.tree = "mainline";
    facts.branch = "master";
    facts.origin = "kci";
    for (const notify::Subscription& s : subs) notify::subscription_matches(s, facts);
  } catch (const InvalidInputError&) {
  }
  try {
    triage::RuleSet set = triage::parse_rules(text, "rules.yaml");
    std::vector<std::string> regexes;
    triage::ResultFacts facts;
    facts.is_test = true;
    facts.status = "FAIL";
    facts.path = "baseline.login";
    facts.architecture = "arm64";
    for (const triage::KnownIssueRule& rule : set.rules) {
      KCI_FUZZ_CHECK(!rule.id.empty());
      triage::filters_accept(rule.match, facts);
      for (const std::string& r : rule.match.log) regexes.push_back(r);
    }
    triage::PatternSet patterns(regexes);
    patterns.match("rcu: INFO: rcu_sched detected stalls on CPUs/tasks:\nBUG: oops\n");
  } catch (const InvalidInputError&) {
  }
  return 0;
}
