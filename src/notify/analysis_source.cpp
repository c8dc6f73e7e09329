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

// The active test regressions of the checkout's tree whose newest failure
// is in the checkout: the reported ones and the unstable ones the analysis
// holds back.
std::vector<analysis::RegressionInfo> failing_here(store::SqlConnection& sql,
                                                   const analysis::CheckoutInfo& info,
                                                   const std::string& checkout_id) {
  analysis::RegressionFilter filter;
  filter.tree = info.tree_name;
  filter.branch = info.git_repository_branch;
  filter.origin = info.origin;
  filter.unreported = true;
  filter.last_fail_checkout = checkout_id;
  std::vector<analysis::RegressionInfo> out = analysis::regressions(sql, filter);
  std::erase_if(out, [](const analysis::RegressionInfo& r) {
    return r.identity.identity.kind != analysis::Kind::kTest;
  });
  return out;
}

// What the Unstable Tests section says of a failure the analysis holds
// back: the status changes of the identity and its failures in a row.
std::string unstable_note(const analysis::RegressionInfo& r) {
  std::string note = "fails here";
  if (r.fail_count > 1) note += " (" + std::to_string(r.fail_count) + " times in a row)";
  note += ", " + std::to_string(r.identity.flips) + " status change" +
          (r.identity.flips == 1 ? "" : "s") + " in its recent results";
  if (!r.last_pass.describe.empty()) note += " (last pass: " + r.last_pass.describe + ")";
  return note;
}

}  // namespace

CheckoutReports AnalysisReportSource::reports(const CheckoutInfo& checkout) {
  CheckoutReports out;
  out.build = build_report_of(store_, sql_, checkout.id, base_url_, build_options_);
  out.new_issues = new_issue_reports_of(sql_, checkout.id, base_url_);
  if (sql_.component_version(analysis::kComponent) <= 0) return out;  // no analysis here
  auto info = analysis::checkout_info(sql_, checkout.id);
  if (!info) return out;
  std::vector<analysis::RegressionInfo> here = failing_here(sql_, *info, checkout.id);
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
  struct Plan {
    std::map<RunKey, TestRun> runs;
    std::vector<UnstableTest> unstable;
  };
  std::map<std::string, Plan> plans;
  for (const auto& r : here) {
    const analysis::Identity& id = r.identity.identity;
    Plan& plan = plans[plan_of(id.path)];
    TestRun& run = plan.runs[{id.platform, id.architecture, id.compiler, id.config_name}];
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
      // A known issue is named, whether the test is stable or not.
      f.known_issue_id = k->second.front();
      auto t = titles.find(f.known_issue_id);
      f.known_issue_title = t != titles.end() ? t->second : f.known_issue_id;
    } else if (!r.reported) {
      // Unstable and held back by the analysis: listed apart, not counted.
      plan.unstable.push_back(
          UnstableTest{id.path, id.platform, id.architecture, f.url, unstable_note(r)});
      continue;
    }
    run.failures.push_back(std::move(f));
  }
  for (auto& [name, plan] : plans) {
    TestReport t;
    t.tree = info->tree_name;
    t.branch = info->git_repository_branch;
    t.plan = name;
    t.describe = info->describe;
    t.url = info->git_repository_url;
    t.sha = info->git_commit_hash;
    t.checkout_id = checkout.id;
    t.details_url = checkout_url;
    for (auto& [key, run] : plan.runs) t.test_runs.push_back(std::move(run));
    t.unstable = std::move(plan.unstable);
    out.tests.push_back(std::move(t));
  }
  return out;
}

}  // namespace kci::notify
