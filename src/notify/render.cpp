// SPDX-License-Identifier: LGPL-2.1-or-later
#include "notify/render.h"

#include <algorithm>
#include <map>
#include <set>

#include "notify/header.h"
#include "notify/templates.h"
#include "util/error.h"

namespace kci::notify {
namespace {

namespace mu = kainjow::mustache;

// A single-line field: control characters (newlines among them) become
// spaces, so report data cannot break the layout.
std::string one(const std::string& s) { return clean_header_text(s); }

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return n;
}

std::string cut(std::string s, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xc0) != 0x80) {
      if (chars == max_chars) return s.substr(0, i);
      ++chars;
    }
  }
  return s;
}

std::string plural(long n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

std::string mismatches(long n) {
  return std::to_string(n) + (n == 1 ? " section mismatch" : " section mismatches");
}

mu::data lines_data(const std::vector<std::string>& lines) {
  mu::data list{mu::data::type::list};
  for (const auto& l : lines) list.push_back(mu::data("line", mu::data(l)));
  return list;
}

// A multi-line text as lines (control characters but TAB removed by the
// message layer later), at most max lines, with a note for the rest.
std::vector<std::string> text_lines(const std::string& text, int max) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t nl = text.find('\n', i);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(i, nl - i);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(std::move(line));
    i = nl + 1;
  }
  if (max >= 0 && out.size() > static_cast<std::size_t>(max)) {
    std::size_t omitted = out.size() - max;
    out.resize(max);
    out.push_back("[... " + plural(static_cast<long>(omitted), "line") + " omitted]");
  }
  return out;
}

bool is_regression(const TestCaseFailure& f) {
  return !f.last_pass.empty() && f.known_issue_id.empty() && f.known_issue_title.empty();
}

std::string since_text(const TestCaseFailure& f, const std::string& describe) {
  if (f.last_pass.empty()) return "never passed";
  if (f.first_fail.empty() || f.first_fail == describe) {
    return "new failure (last pass: " + one(f.last_pass) + ")";
  }
  return "failing since " + plural(f.failing_days, "day") + " (last pass: " + one(f.last_pass) +
         ", first fail: " + one(f.first_fail) + ")";
}

}  // namespace

const char* report_kind_name(ReportKind kind) {
  switch (kind) {
    case ReportKind::kTest: return "test";
    case ReportKind::kBuild: return "build";
    case ReportKind::kBisection: return "bisection";
    case ReportKind::kNewIssue: return "new-issue";
    case ReportKind::kPatchset: return "patchset";
  }
  return "test";
}

ReportKind parse_report_kind(const std::string& name) {
  for (auto k :
       {ReportKind::kTest, ReportKind::kBuild, ReportKind::kBisection, ReportKind::kNewIssue}) {
    if (name == report_kind_name(k)) return k;
  }
  throw InvalidInputError("unknown report kind \"" + one(name) +
                          "\" (expected test, build, bisection or new-issue)");
}

std::vector<std::string> text_table(const std::vector<std::string>& header,
                                    const std::vector<std::vector<std::string>>& rows,
                                    std::size_t max_cell) {
  std::vector<std::vector<std::string>> cells;
  cells.push_back(header);
  for (const auto& r : rows) {
    std::vector<std::string> row;
    for (const auto& c : r) row.push_back(cut(one(c), max_cell));
    row.resize(header.size());
    cells.push_back(std::move(row));
  }
  std::vector<std::size_t> width(header.size(), 0);
  for (const auto& r : cells) {
    for (std::size_t k = 0; k < r.size(); ++k) width[k] = std::max(width[k], utf8_length(r[k]));
  }
  auto format = [&](const std::vector<std::string>& r) {
    std::string line;
    for (std::size_t k = 0; k < r.size(); ++k) {
      if (k) line += " | ";
      line += r[k];
      if (k + 1 < r.size()) line.append(width[k] - utf8_length(r[k]), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    return line;
  };
  std::vector<std::string> out;
  out.push_back(format(cells[0]));
  std::string rule;
  for (std::size_t k = 0; k < width.size(); ++k) {
    if (k) rule += "-+-";
    rule.append(width[k], '-');
  }
  out.push_back(rule);
  for (std::size_t i = 1; i < cells.size(); ++i) out.push_back(format(cells[i]));
  return out;
}

int regression_count(const TestReport& report) {
  int n = 0;
  for (const auto& run : report.test_runs) {
    for (const auto& f : run.failures) n += is_regression(f);
  }
  return n;
}

RenderedReport render_test_report(const TestReport& r, const RenderOptions& options) {
  RenderedReport out;
  out.kind = ReportKind::kTest;
  out.subject_object = "checkout:" + r.checkout_id + ":test:" + r.plan;
  int regressions = regression_count(r);
  out.has_regressions = regressions > 0;
  int runs = r.runs > 0 ? r.runs : static_cast<int>(r.test_runs.size());
  out.subject = one(r.tree) + "/" + one(r.branch) + " " + one(r.plan) + ": " + plural(runs, "run") +
                ", " + plural(regressions, "regression") + " (" + one(r.describe) + ")";

  const std::vector<std::string> header = {"platform", "arch",      "lab",
                                           "compiler", "defconfig", "results"};
  auto row = [](const TestRun& run) {
    return std::vector<std::string>{run.platform,
                                    run.arch,
                                    run.lab,
                                    run.compiler,
                                    run.defconfig,
                                    std::to_string(run.pass) + " PASS, " +
                                        std::to_string(run.fail) + " FAIL, " +
                                        std::to_string(run.skip) + " SKIP"};
  };
  std::vector<std::vector<std::string>> summary_rows;
  mu::data runs_data{mu::data::type::list};
  mu::data known{mu::data::type::list};
  bool has_known = false;
  for (const auto& run : r.test_runs) {
    mu::data failures{mu::data::type::list};
    bool any = false;
    for (const auto& f : run.failures) {
      if (!is_regression(f)) {
        if (!f.known_issue_id.empty() || !f.known_issue_title.empty()) {
          mu::data k;
          k.set("path", one(f.path));
          k.set("platform", one(run.platform));
          k.set("arch", one(run.arch));
          k.set("lab", one(run.lab));
          k.set("has_lab", !run.lab.empty());
          std::string issue = one(f.known_issue_id);
          if (!f.known_issue_title.empty()) {
            issue +=
                (issue.empty() ? "" : " ") + std::string("\"") + one(f.known_issue_title) + "\"";
          }
          k.set("issue", issue);
          known.push_back(k);
          has_known = true;
        }
        continue;
      }
      any = true;
      mu::data fd;
      fd.set("path", one(f.path));
      fd.set("url", one(f.url));
      fd.set("since", since_text(f, r.describe));
      std::vector<std::string> log = f.log_lines;
      if (log.size() > static_cast<std::size_t>(options.max_log_lines))
        log.resize(options.max_log_lines);
      fd.set("has_log", !log.empty());
      fd.set("log_count", std::to_string(f.log_lines.size()));
      fd.set("log", lines_data(log));
      failures.push_back(fd);
    }
    if (!any) continue;
    summary_rows.push_back(row(run));
    mu::data rd;
    rd.set("table", lines_data(text_table(header, {row(run)}, options.max_cell)));
    rd.set("details_url", one(run.details_url));
    rd.set("pass", std::to_string(run.pass));
    rd.set("fail", std::to_string(run.fail));
    rd.set("skip", std::to_string(run.skip));
    rd.set("config_full", one(run.config_full.empty() ? run.defconfig : run.config_full));
    rd.set("compiler_version",
           one(run.compiler_version.empty() ? run.compiler : run.compiler_version));
    rd.set("plain_log", one(run.plain_log));
    rd.set("html_log", one(run.html_log));
    rd.set("rootfs", one(run.rootfs));
    rd.set("failures", failures);
    runs_data.push_back(rd);
  }
  mu::data unstable{mu::data::type::list};
  for (const auto& u : r.unstable) {
    mu::data ud;
    ud.set("path", one(u.path));
    ud.set("platform", one(u.platform));
    // Every key set, empty or not: a missing one would be looked up in
    // the report's own fields (the report's url).
    ud.set("arch", one(u.arch));
    ud.set("has_arch", !u.arch.empty());
    ud.set("url", one(u.url));
    ud.set("has_url", !u.url.empty());
    ud.set("note", one(u.note));
    ud.set("has_note", !u.note.empty());
    unstable.push_back(ud);
  }
  mu::data d;
  d.set("subject", out.subject);
  d.set("summary_table", lines_data(text_table(header, summary_rows, options.max_cell)));
  d.set("details_url", one(r.details_url));
  d.set("plan", one(r.plan));
  d.set("tree", one(r.tree));
  d.set("branch", one(r.branch));
  d.set("describe", one(r.describe));
  d.set("url", one(r.url));
  d.set("sha", one(r.sha));
  d.set("runs", runs_data);
  d.set("has_known", has_known);
  d.set("known", known);
  d.set("has_unstable", !r.unstable.empty());
  d.set("unstable", unstable);
  out.body = render_template("test_report", d);
  return out;
}

RenderedReport render_build_report(const BuildReport& r, const RenderOptions&) {
  RenderedReport out;
  out.kind = ReportKind::kBuild;
  out.subject_object = "checkout:" + r.checkout_id + ":build";
  long failed = 0, passed = 0, errors = 0, warnings = 0;
  std::set<std::string> arches;
  for (const auto& b : r.builds) {
    (b.status == "PASS" ? passed : failed) += 1;
    errors += static_cast<long>(b.errors.size());
    warnings += static_cast<long>(b.warnings.size());
    arches.insert(one(b.arch));
  }
  out.has_regressions = failed > 0 || errors > 0;
  out.subject = one(r.tree) + "/" + one(r.branch) +
                " build: " + plural(static_cast<long>(r.builds.size()), "build") + ": " +
                std::to_string(failed) + " failed, " + std::to_string(passed) + " passed";
  if (errors) out.subject += ", " + plural(errors, "error");
  if (warnings) out.subject += ", " + plural(warnings, "warning");
  out.subject += " (" + one(r.describe) + ")";

  std::vector<const BuildResult*> sorted;
  for (const auto& b : r.builds) sorted.push_back(&b);
  std::stable_sort(sorted.begin(), sorted.end(), [](const BuildResult* a, const BuildResult* b) {
    return std::tie(a->arch, a->defconfig, a->compiler) <
           std::tie(b->arch, b->defconfig, b->compiler);
  });
  auto counts = [](const BuildResult& b) {
    return plural(static_cast<long>(b.errors.size()), "error") + ", " +
           plural(static_cast<long>(b.warnings.size()), "warning") + ", " +
           mismatches(static_cast<long>(b.section_mismatches.size()));
  };
  std::map<std::string, mu::data> failures_by_arch, issues_by_arch;
  for (const BuildResult* b : sorted) {
    mu::data item;
    item.set("defconfig", one(b->defconfig));
    item.set("compiler", one(b->compiler));
    if (b->status != "PASS") {
      item.set("status", one(b->status));
      item.set("has_last_pass", !b->last_pass.empty());
      item.set("last_pass", one(b->last_pass));
      auto [it, added] = failures_by_arch.try_emplace(one(b->arch), mu::data::type::list);
      it->second.push_back(item);
    }
    if (!b->errors.empty() || !b->warnings.empty()) {
      std::string c;
      if (!b->errors.empty()) c = plural(static_cast<long>(b->errors.size()), "error");
      if (!b->warnings.empty()) {
        c += (c.empty() ? "" : ", ") + plural(static_cast<long>(b->warnings.size()), "warning");
      }
      item.set("counts", c);
      auto [it, added] = issues_by_arch.try_emplace(one(b->arch), mu::data::type::list);
      it->second.push_back(item);
    }
  }
  auto by_arch = [](const std::map<std::string, mu::data>& m) {
    mu::data list{mu::data::type::list};
    for (const auto& [arch, items] : m) {
      mu::data a;
      a.set("arch", arch);
      a.set("items", items);
      list.push_back(a);
    }
    return list;
  };
  auto summary = [&](const char* title, auto member) {
    std::map<std::string, long> count;
    for (const auto& b : r.builds) {
      for (const auto& m : b.*member) count[one(m)] += 1;
    }
    std::vector<std::pair<long, std::string>> order;
    for (const auto& [m, n] : count) order.emplace_back(-n, m);
    std::sort(order.begin(), order.end());
    mu::data items{mu::data::type::list};
    for (const auto& [n, m] : order) {
      mu::data i;
      i.set("count", std::to_string(-n));
      i.set("message", m);
      items.push_back(i);
    }
    mu::data s;
    s.set("title", title);
    s.set("items", items);
    return std::make_pair(!count.empty(), s);
  };
  mu::data summaries{mu::data::type::list};
  for (auto [present, s] :
       {summary("Errors", &BuildResult::errors), summary("Warnings", &BuildResult::warnings),
        summary("Section mismatches", &BuildResult::section_mismatches)}) {
    if (present) summaries.push_back(s);
  }
  mu::data builds{mu::data::type::list};
  for (const BuildResult* b : sorted) {
    mu::data bd;
    bd.set("defconfig", one(b->defconfig));
    bd.set("arch", one(b->arch));
    bd.set("compiler", one(b->compiler));
    bd.set("status", one(b->status));
    bd.set("counts", counts(*b));
    bd.set("has_log", !b->log_url.empty());
    bd.set("log_url", one(b->log_url));
    bd.set("has_last_pass", b->status != "PASS" && !b->last_pass.empty());
    bd.set("last_pass", one(b->last_pass));
    mu::data sections{mu::data::type::list};
    for (auto [title, lines] :
         {std::make_pair("Errors", &b->errors), std::make_pair("Warnings", &b->warnings),
          std::make_pair("Section mismatches", &b->section_mismatches)}) {
      if (lines->empty()) continue;
      std::vector<std::string> cleaned;
      for (const auto& l : *lines) cleaned.push_back(one(l));
      mu::data s;
      s.set("title", title);
      s.set("items", lines_data(cleaned));
      sections.push_back(s);
    }
    bd.set("sections", sections);
    builds.push_back(bd);
  }
  mu::data d;
  d.set("subject", out.subject);
  d.set("details_url", one(r.details_url));
  d.set("tree", one(r.tree));
  d.set("branch", one(r.branch));
  d.set("describe", one(r.describe));
  d.set("commit", one(r.commit));
  d.set("url", one(r.url));
  d.set("arch_count", std::to_string(arches.size()));
  d.set("arch_plural", arches.size() == 1 ? "" : "s");
  d.set("has_failures", !failures_by_arch.empty());
  d.set("failures_by_arch", by_arch(failures_by_arch));
  d.set("has_issues", !issues_by_arch.empty());
  d.set("issues_by_arch", by_arch(issues_by_arch));
  d.set("summaries", summaries);
  d.set("builds", builds);
  out.body = render_template("build_report", d);
  return out;
}

RenderedReport render_bisection_report(const BisectionResult& r, const RenderOptions& options) {
  RenderedReport out;
  out.kind = ReportKind::kBisection;
  out.subject_object = "bisection:" + r.tree + ":" + r.branch + ":" + r.target + ":" + r.test_case +
                       ":" + r.good_commit + ".." + r.bad_commit;
  out.subject = one(r.tree) + "/" + one(r.branch) + " bisection: " + one(r.test_case) + " on " +
                one(r.target);
  // The banner is 65 columns wide; a longer trailer sticks out.
  std::string trailer = "*   Reported-by: " + one(r.reported_by);
  if (utf8_length(trailer) < 64) trailer.append(64 - utf8_length(trailer), ' ');
  trailer += "*";
  mu::data d;
  d.set("reported_by_line", trailer);
  d.set("subject", out.subject);
  d.set("start_summary", one(r.start_summary));
  d.set("plain_log", one(r.plain_log));
  d.set("html_log", one(r.html_log));
  d.set("result_summary", one(r.result_summary));
  d.set("check_revert", r.check_revert.empty() ? std::string("not run") : one(r.check_revert));
  d.set("check_verify", r.check_verify.empty() ? std::string("not run") : one(r.check_verify));
  d.set("tree", one(r.tree));
  d.set("url", one(r.url));
  d.set("branch", one(r.branch));
  d.set("target", one(r.target));
  d.set("arch", one(r.arch));
  d.set("lab", one(r.lab));
  d.set("compiler", one(r.compiler));
  d.set("defconfig", one(r.defconfig));
  d.set("test_case", one(r.test_case));
  d.set("culprit_lines", lines_data(text_lines(r.culprit_show, options.max_commit_lines)));
  d.set("log_lines", lines_data(text_lines(r.bisect_log, -1)));
  out.body = render_template("bisection_report", d);
  return out;
}

RenderedReport render_new_issue_report(const NewIssueReport& r, const RenderOptions& options) {
  RenderedReport out;
  out.kind = ReportKind::kNewIssue;
  out.subject_object = "issue:" + r.issue_id;
  out.subject = "[REGRESSION] " + one(r.tree) + "/" + one(r.branch) + ": " + one(r.title);
  auto where = [](const IssueIncident& i) {
    std::string w = one(i.platform.empty() ? i.arch : i.platform);
    std::vector<std::string> parts;
    for (const auto* p : {&i.arch, &i.config, &i.compiler}) {
      if (!p->empty() && !(i.platform.empty() && p == &i.arch)) parts.push_back(one(*p));
    }
    if (!parts.empty()) {
      w += " (";
      for (std::size_t k = 0; k < parts.size(); ++k) w += (k ? ", " : "") + parts[k];
      w += ")";
    }
    return w;
  };
  auto incident = [&](const IssueIncident& i) {
    mu::data d;
    d.set("kind", one(i.kind.empty() ? std::string("test") : i.kind));
    d.set("object_id", one(i.object_id));
    d.set("where", where(i));
    if (!i.time.empty()) d.set("time", one(i.time));
    if (!i.url.empty()) d.set("url", one(i.url));
    return d;
  };
  mu::data incidents{mu::data::type::list};
  for (const auto& i : r.incidents) incidents.push_back(incident(i));
  std::vector<std::string> log = r.log_excerpt;
  if (log.size() > static_cast<std::size_t>(options.max_log_lines))
    log.resize(options.max_log_lines);
  mu::data d;
  d.set("tree", one(r.tree));
  d.set("branch", one(r.branch));
  d.set("describe", one(r.describe));
  d.set("sha", one(r.sha));
  d.set("url", one(r.url));
  d.set("title", one(r.title));
  d.set("issue_id", one(r.issue_id));
  if (!r.issue_version.empty()) d.set("issue_version", one(r.issue_version));
  if (!r.culprit.empty()) d.set("culprit", one(r.culprit));
  d.set("details_url", one(r.details_url));
  d.set("first", incident(r.first_incident));
  d.set("incident_count", std::to_string(r.incidents.size()));
  d.set("incidents", incidents);
  d.set("has_log", !log.empty());
  d.set("log", lines_data(log));
  out.body = render_template("new_issue_report", d);
  return out;
}

}  // namespace kci::notify
