// SPDX-License-Identifier: LGPL-2.1-or-later
#include "triage/issues_view.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <map>
#include <unordered_map>

namespace kci::triage {

namespace {

std::string platform_of(const report::Text& env_misc, const report::Text& misc) {
  for (const report::Text* j : {&env_misc, &misc}) {
    if (!*j) continue;
    rapidjson::Document d;
    d.Parse((*j)->c_str(), (*j)->size());
    if (d.HasParseError() || !d.IsObject()) continue;
    auto it = d.FindMember("platform");
    if (it != d.MemberEnd() && it->value.IsString()) return it->value.GetString();
  }
  return {};
}

struct Collected {
  std::map<std::string, IssueSummary> by_id;
};

void collect(store::Store& store, const std::optional<std::string>& only, bool details,
             Collected& c) {
  report::Report issues;
  store::Selection sel;
  if (only) {
    sel.column = "id";
    sel.values = {*only};
  }
  store.select(report::ObjectType::kIssue, sel, false, issues);
  for (auto& i : issues.issues) {
    if (!i.id) continue;
    auto& s = c.by_id[*i.id];
    if (!s.issue.version || (i.version && *i.version > *s.issue.version)) s.issue = i;
  }
  if (c.by_id.empty()) return;
  report::Report incidents;
  store::Selection isel;
  if (only) {
    isel.column = "issue_id";
    isel.values = {*only};
  }
  store.select(report::ObjectType::kIncident, isel, true, incidents);
  store::QueryIds ids;
  for (const auto& inc : incidents.incidents) {
    if (inc.build_id) ids.builds.push_back(*inc.build_id);
    if (inc.test_id) ids.tests.push_back(*inc.test_id);
  }
  report::Report results;
  if (!ids.empty()) results = store.query(ids, store::QueryOptions{false, false, true});
  std::unordered_map<std::string, const report::Build*> builds;
  std::unordered_map<std::string, const report::Test*> tests;
  for (const auto& b : results.builds) builds[*b.id] = &b;
  for (const auto& t : results.tests) tests[*t.id] = &t;
  for (const auto& inc : incidents.incidents) {
    if (!inc.issue_id || (inc.present && !*inc.present)) continue;
    auto it = c.by_id.find(*inc.issue_id);
    if (it == c.by_id.end()) continue;
    IssueIncident d;
    d.incident_id = inc.id.value_or("");
    d.issue_version = inc.issue_version.value_or(0);
    d.seen = inc.timestamp.value_or("");
    if (inc.test_id) {
      d.result_kind = "test";
      d.result_id = *inc.test_id;
      if (auto t = tests.find(*inc.test_id); t != tests.end()) {
        d.origin = t->second->origin.value_or("");
        d.platform = platform_of(t->second->environment_misc, t->second->misc);
        d.path = t->second->path.value_or("");
        d.status = t->second->status.value_or("");
        if (t->second->start_time) d.seen = *t->second->start_time;
      }
    } else if (inc.build_id) {
      d.result_kind = "build";
      d.result_id = *inc.build_id;
      if (auto b = builds.find(*inc.build_id); b != builds.end()) {
        d.origin = b->second->origin.value_or("");
        d.platform = platform_of(std::nullopt, b->second->misc);
        d.status = b->second->status.value_or("");
        if (b->second->start_time) d.seen = *b->second->start_time;
      }
    }
    IssueSummary& s = it->second;
    ++s.incidents;
    if (!d.origin.empty()) s.origins.insert(d.origin);
    if (!d.platform.empty()) s.platforms.insert(d.platform);
    if (!d.seen.empty()) {
      if (s.first_seen.empty() || d.seen < s.first_seen) s.first_seen = d.seen;
      if (d.seen > s.last_seen) s.last_seen = d.seen;
    }
    if (details) s.details.push_back(std::move(d));
  }
}

}  // namespace

std::vector<IssueSummary> list_issues(store::Store& store) {
  Collected c;
  collect(store, std::nullopt, false, c);
  std::vector<IssueSummary> out;
  for (auto& [id, s] : c.by_id) out.push_back(std::move(s));
  std::stable_sort(out.begin(), out.end(), [](const IssueSummary& a, const IssueSummary& b) {
    return a.incidents > b.incidents;
  });
  return out;
}

std::optional<IssueSummary> issue_details(store::Store& store, const std::string& id) {
  Collected c;
  collect(store, id, true, c);
  auto it = c.by_id.find(id);
  if (it == c.by_id.end()) return std::nullopt;
  std::sort(it->second.details.begin(), it->second.details.end(),
            [](const IssueIncident& a, const IssueIncident& b) { return a.seen < b.seen; });
  return std::move(it->second);
}

std::map<std::string, std::vector<std::string>> known_issues_of(
    store::Store& store, const std::vector<std::string>& build_ids,
    const std::vector<std::string>& test_ids) {
  std::map<std::string, std::vector<std::string>> out;
  report::Report incidents;
  for (const auto& [column, ids] :
       {std::pair{"build_id", &build_ids}, std::pair{"test_id", &test_ids}}) {
    if (ids->empty()) continue;
    store::Selection sel;
    sel.column = column;
    sel.values = *ids;
    store.select(report::ObjectType::kIncident, sel, false, incidents);
  }
  for (const auto& inc : incidents.incidents) {
    if (!inc.issue_id || (inc.present && !*inc.present)) continue;
    const report::Text& result = inc.test_id ? inc.test_id : inc.build_id;
    if (result) out[*result].push_back(*inc.issue_id);
  }
  for (auto& [id, issues] : out) {
    std::sort(issues.begin(), issues.end());
    issues.erase(std::unique(issues.begin(), issues.end()), issues.end());
  }
  return out;
}

}  // namespace kci::triage
