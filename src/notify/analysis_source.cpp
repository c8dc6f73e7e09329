// SPDX-License-Identifier: LGPL-2.1-or-later
#include "notify/analysis_source.h"

#include <map>
#include <tuple>

#include "analysis/queries.h"
#include "analysis/schema.h"
#include "notify/issue_source.h"
#include "triage/known_regressions.h"

namespace kci::notify {

AnalysisReportSource::AnalysisReportSource(store::Store& store, store::SqlConnection& sql,
                                           std::string base_url, BuildSourceOptions build_options)
    : store_(store),
      sql_(sql),
      base_url_(std::move(base_url)),
      build_options_(std::move(build_options)) {}

namespace {

std::string plan_of(const std::string& path) {
  auto dot = path.find('.');
  return dot == std::string::npos ? path : path.substr(0, dot);
}

}  // namespace

CheckoutReports AnalysisReportSource::reports(const CheckoutInfo& checkout) {
  CheckoutReports out;
  out.build = build_report_of(store_, sql_, checkout.id, base_url_, build_options_);
  out.new_issues = new_issue_reports_of(sql_, checkout.id, base_url_);
  if (sql_.component_version(analysis::kComponent) <= 0) return out;  // no analysis here
  auto info = analysis::checkout_info(sql_, checkout.id);
  if (!info) return out;
  analysis::RegressionFilter filter;
  filter.tree = info->tree_name;
  filter.branch = info->git_repository_branch;
  filter.origin = info->origin;
  std::vector<analysis::RegressionInfo> here;
  for (auto& r : analysis::regressions(sql_, filter)) {
    if (r.identity.identity.kind == analysis::Kind::kTest && r.last_fail.checkout_id == checkout.id)
      here.push_back(std::move(r));
  }
  if (here.empty()) return out;
  auto known = triage::known_issues_of_regressions(store_, here);
  // Titles of the known issues named.
  std::map<std::string, std::string> titles;
  {
    store::Selection sel;
    sel.column = "id";
    for (const auto& [rid, issues] : known)
      sel.values.insert(sel.values.end(), issues.begin(), issues.end());
    if (!sel.values.empty()) {
      report::Report found;
      store_.select(report::ObjectType::kIssue, sel, false, found);
      for (const auto& i : found.issues)
        titles[i.id.value_or("")] = i.report_subject.value_or(i.id.value_or(""));
    }
  }
  // The per-group counts of the checkout (platform, arch, compiler, config).
  auto summary = analysis::summary(sql_, checkout.id);
  std::string checkout_url = base_url_ + "/checkout/" + checkout.id;

  using RunKey = std::tuple<std::string, std::string, std::string, std::string>;
  std::map<std::string, std::map<RunKey, TestRun>> plans;
  for (const auto& r : here) {
    const analysis::Identity& id = r.identity.identity;
    TestRun& run =
        plans[plan_of(id.path)][{id.platform, id.architecture, id.compiler, id.config_name}];
    if (run.platform.empty()) {
      run.platform = id.platform;
      run.arch = id.architecture;
      run.compiler = id.compiler;
      run.defconfig = id.config_name;
      run.details_url = checkout_url;
      if (summary) {
        for (const auto& g : summary->groups) {
          if (g.kind != "test" && g.kind != "boot") continue;
          if (g.platform != id.platform || g.architecture != id.architecture ||
              g.compiler != id.compiler || g.config_name != id.config_name)
            continue;
          if (run.lab.empty()) run.lab = g.lab;
          for (const auto& [status, n] : g.statuses) {
            if (status == "PASS") run.pass += static_cast<int>(n);
            if (status == "FAIL") run.fail += static_cast<int>(n);
            if (status == "SKIP") run.skip += static_cast<int>(n);
          }
        }
      }
    }
    TestCaseFailure f;
    f.path = id.path;
    f.url = base_url_ + "/test/" + r.last_fail.id;
    f.last_pass = r.last_pass.describe;
    f.first_fail = r.first_fail.checkout_id == checkout.id ? "" : r.first_fail.describe;
    f.failing_days = static_cast<int>(r.failing_since_days);
    auto k = known.find(r.id);
    if (k != known.end() && !k->second.empty()) {
      f.known_issue_id = k->second.front();
      auto t = titles.find(f.known_issue_id);
      f.known_issue_title = t != titles.end() ? t->second : f.known_issue_id;
    }
    run.failures.push_back(std::move(f));
  }
  for (auto& [plan, runs] : plans) {
    TestReport t;
    t.tree = info->tree_name;
    t.branch = info->git_repository_branch;
    t.plan = plan;
    t.describe = info->describe;
    t.url = info->git_repository_url;
    t.sha = info->git_commit_hash;
    t.checkout_id = checkout.id;
    t.details_url = checkout_url;
    for (auto& [key, run] : runs) t.test_runs.push_back(std::move(run));
    out.tests.push_back(std::move(t));
  }
  return out;
}

}  // namespace kci::notify
