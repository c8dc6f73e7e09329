// SPDX-License-Identifier: LGPL-2.1-or-later
#include "triage/triager.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "ingest/loader.h"
#include "triage/build_scan.h"
#include "triage/console_scan.h"
#include "triage/derive.h"
#include "triage/line_splitter.h"

namespace kci::triage {

namespace {

std::vector<std::string> collect(const RuleSet& rules, bool log, std::vector<std::size_t>& owner) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < rules.rules.size(); ++i) {
    for (const auto& re : log ? rules.rules[i].match.log : rules.rules[i].match.log_excerpt) {
      out.push_back(re);
      owner.push_back(i);
    }
  }
  return out;
}

bool issue_worthy(const Finding& f) {
  if (f.corrupted) return false;
  return f.kind.find("warning") == std::string::npos || f.kind == "warning";  // console WARNING yes
}

std::string json_string_field(const report::Text& json, const char* key) {
  if (!json) return {};
  rapidjson::Document d;
  d.Parse(json->c_str(), json->size());
  if (d.HasParseError() || !d.IsObject()) return {};
  auto it = d.FindMember(key);
  if (it == d.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace

Triager::Triager(RuleSet rules, TriageOptions options)
    : rules_(std::move(rules)),
      options_(std::move(options)),
      log_rule_(),
      excerpt_rule_(),
      log_patterns_(collect(rules_, true, log_rule_)),
      excerpt_patterns_(collect(rules_, false, excerpt_rule_)) {
  for (std::size_t i = 0; i < rules_.rules.size(); ++i) {
    const RuleFilters& f = rules_.rules[i].match;
    if (f.log.empty() && f.log_excerpt.empty()) regexless_.push_back(i);
  }
}

Outcome Triager::triage(const ResultFacts& facts, const report::Text& log_url,
                        const report::Text& log_excerpt) const {
  Outcome out;
  // Rules are checked against the result only when the automaton found one
  // of their regexes (or they have none): cost per log byte, not per rule.
  const bool any_regex = log_patterns_.size() + excerpt_patterns_.size() > 0;
  std::vector<std::size_t> matched;
  // One pass over the log: scanner and automaton side by side.
  auto sink = [&out](Finding&& f) {
    if (issue_worthy(f)) out.findings.push_back(std::move(f));
  };
  std::unique_ptr<ConsoleScanner> console;
  std::unique_ptr<BuildScanner> build;
  if (facts.is_test)
    console = std::make_unique<ConsoleScanner>(sink);
  else
    build = std::make_unique<BuildScanner>(sink);
  auto on_line = [&](std::string_view l, std::size_t n) {
    if (console)
      console->line(l, n);
    else
      build->line(l, n);
  };
  bool scanned = false;
  if (options_.fetch_logs && log_url && !log_url->empty()) {
    LineSplitter splitter(on_line);
    PatternSet::Scanner automaton(log_patterns_);
    try {
      fetch_log(*log_url, options_.fetch, [&](std::string_view chunk) {
        splitter.feed(chunk);
        if (any_regex) automaton.feed(chunk);
      });
      splitter.finish();
      scanned = true;
      for (std::uint32_t id : automaton.finish()) matched.push_back(log_rule_[id]);
    } catch (const FetchError& e) {
      out.log_error = e.what();
    }
  }
  if (!scanned && log_excerpt) {
    // No log: the excerpt is the log (and the log regexes apply to it too).
    LineSplitter splitter(on_line);
    splitter.feed(*log_excerpt);
    splitter.finish();
    if (any_regex) {
      for (std::uint32_t id : log_patterns_.match(*log_excerpt)) matched.push_back(log_rule_[id]);
    }
  }
  if (console) console->finish();
  if (build) build->finish();
  if (log_excerpt && any_regex) {
    for (std::uint32_t id : excerpt_patterns_.match(*log_excerpt))
      matched.push_back(excerpt_rule_[id]);
  }
  matched.insert(matched.end(), regexless_.begin(), regexless_.end());
  std::sort(matched.begin(), matched.end());
  matched.erase(std::unique(matched.begin(), matched.end()), matched.end());
  for (std::size_t i : matched) {
    if (filters_accept(rules_.rules[i].match, facts)) out.rules.push_back(i);
  }
  // One issue per signature, the first ones found.
  std::unordered_set<std::string> seen;
  std::vector<Finding> unique;
  for (auto& f : out.findings) {
    if (unique.size() >= options_.max_issues_per_result) break;
    if (seen.insert(f.signature).second) unique.push_back(std::move(f));
  }
  out.findings = std::move(unique);
  return out;
}

void Triager::add_to_report(const ResultFacts& facts, const Outcome& outcome, report::Report& out,
                            std::unordered_set<std::string>* issues_in_out) const {
  // True if out has the issue; else the caller adds it (and the index
  // learns it here).
  auto has_issue = [&out, issues_in_out](const std::string& id, std::int64_t version) {
    if (issues_in_out) return !issues_in_out->insert(id + '\t' + std::to_string(version)).second;
    for (const auto& i : out.issues) {
      if (i.id == id && i.version == version) return true;
    }
    return false;
  };
  for (const Finding& f : outcome.findings) {
    std::string id = issue_id_for_signature(f.signature);
    if (!has_issue(id, 1)) out.issues.push_back(issue_from_finding(f));
    out.incidents.push_back(incident_for(facts, id, 1));
  }
  for (std::size_t r : outcome.rules) {
    const KnownIssueRule& rule = rules_.rules[r];
    if (!has_issue(rule.id, rule.version)) out.issues.push_back(issue_from_rule(rule));
    out.incidents.push_back(incident_for(facts, rule.id, rule.version));
  }
}

std::vector<std::pair<ResultFacts, std::pair<report::Text, report::Text>>> failed_results(
    const report::Report& report) {
  std::vector<std::pair<ResultFacts, std::pair<report::Text, report::Text>>> out;
  auto failed = [](const report::Text& s) {
    return s && (*s == "FAIL" || *s == "ERROR" || *s == "MISS");
  };
  for (const auto& b : report.builds) {
    if (!failed(b.status) || !b.id) continue;
    ResultFacts f;
    f.id = *b.id;
    f.origin = b.origin.value_or("");
    f.status = *b.status;
    f.architecture = b.architecture.value_or("");
    f.config = b.config_name.value_or("");
    f.compiler = b.compiler.value_or("");
    f.platform = json_string_field(b.misc, "platform");
    out.push_back({f, {b.log_url, b.log_excerpt}});
  }
  std::unordered_map<std::string, const report::Build*> builds;
  for (const auto& b : report.builds) {
    if (b.id) builds.emplace(*b.id, &b);
  }
  for (const auto& t : report.tests) {
    if (!failed(t.status) || !t.id) continue;
    ResultFacts f;
    f.is_test = true;
    f.id = *t.id;
    f.origin = t.origin.value_or("");
    f.status = *t.status;
    f.path = t.path.value_or("");
    f.platform = json_string_field(t.environment_misc, "platform");
    if (f.platform.empty()) f.platform = json_string_field(t.misc, "platform");
    if (auto it = t.build_id ? builds.find(*t.build_id) : builds.end(); it != builds.end()) {
      f.architecture = it->second->architecture.value_or("");
      f.config = it->second->config_name.value_or("");
      f.compiler = it->second->compiler.value_or("");
    }
    out.push_back({f, {t.log_url, t.log_excerpt}});
  }
  return out;
}

TriageSummary triage_stored(store::Store& store, const store::QueryIds& ids, const Triager& triager,
                            ingest::ChangeBus* bus) {
  TriageSummary summary;
  store::QueryOptions qo;
  qo.parents = true;
  report::Report found = store.query(ids, qo);
  report::Report out;
  std::unordered_set<std::string> asked_builds(ids.builds.begin(), ids.builds.end());
  std::unordered_set<std::string> asked_tests(ids.tests.begin(), ids.tests.end());
  std::unordered_set<std::string> issues_in_out;
  for (const auto& [facts, logs] : failed_results(found)) {
    // Only the asked-for results, not the parents the query added.
    if (!(facts.is_test ? asked_tests : asked_builds).count(facts.id)) continue;
    ++summary.results;
    Outcome o = triager.triage(facts, logs.first, logs.second);
    if (!o.log_error.empty()) ++summary.log_errors;
    triager.add_to_report(facts, o, out, &issues_in_out);
  }
  summary.issues = out.issues.size();
  summary.incidents = out.incidents.size();
  // Through the one write path: the issues and incidents are announced in
  // the change log like any other load.
  if (!out.empty()) ingest::Loader(store, bus).load(std::move(out));
  return summary;
}

}  // namespace kci::triage
