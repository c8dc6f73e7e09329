// SPDX-License-Identifier: LGPL-2.1-or-later
// Page 6, the regressions of the analysis (active by default; all=1 adds
// the closed ones): filterable by tree, branch, origin and path, failing
// since when, unstable ones marked, the known issues of their failures
// named (incidents on the first or last failing result), and the
// bisection that ran for each. Also the regressions shown first on a
// checkout's page.
#include <algorithm>

#include "analysis/queries.h"
#include "web/html.h"
#include "web/page.h"

namespace kci::web {

namespace {

constexpr std::int64_t kPerPage = 100;

json::Value point_json(PageContext& ctx, const analysis::PointInfo& p, analysis::Kind kind) {
  json::Value o(rapidjson::kObjectType);
  if (p.id.empty()) return o;
  ctx.set(o, "id", p.id);
  ctx.set(o, "href", ctx.object_link(kind == analysis::Kind::kTest ? "test" : "build", p.id));
  ctx.set(o, "checkout_id", p.checkout_id);
  ctx.set(o, "checkout_href", ctx.object_link("checkout", p.checkout_id));
  ctx.set(o, "describe", p.describe.empty() ? p.checkout_id : p.describe);
  ctx.set(o, "start_time", p.time);
  return o;
}

// The day part of an RFC 3339 time.
std::string day_of(const std::string& time) {
  return time.substr(0, std::min<std::size_t>(10, time.size()));
}

}  // namespace

// The known issues of a regression: incidents on its first or last failing
// result.
std::vector<std::string> known_issues(PageContext& ctx, const analysis::RegressionInfo& r) {
  std::vector<std::string> out;
  const char* column = r.identity.identity.kind == analysis::Kind::kTest ? "test_id" : "build_id";
  ctx.db.exec(std::string("SELECT DISTINCT issue_id FROM incidents WHERE ") + column + " = $1 OR " +
                  column + " = $2 ORDER BY issue_id LIMIT 20",
              {r.first_fail.id, r.last_fail.id}, [&](const store::SqlRow& row) {
                if (!row.is_null(0)) out.emplace_back(row.text(0));
              });
  return out;
}

bool table_exists(PageContext& ctx, const std::string& name) {
  bool found = false;
  if (ctx.postgres()) {
    ctx.db.exec("SELECT to_regclass($1) IS NOT NULL", {name},
                [&](const store::SqlRow& row) { found = row.boolean(0); });
  } else {
    ctx.db.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", {name},
                [&](const store::SqlRow&) { found = true; });
  }
  return found;
}

std::string failing_since_text(long long days, const std::string& first_fail_time,
                               long long fail_count) {
  std::string t = "failing since " + day_of(first_fail_time);
  if (days == 0) {
    t += " (today's checkouts";
  } else {
    t += " (" + std::to_string(days) + (days == 1 ? " day" : " days");
  }
  t += ", " + std::to_string(fail_count) + (fail_count == 1 ? " failure)" : " failures)");
  return t;
}

json::Value regression_json(PageContext& ctx, const analysis::RegressionInfo& r,
                            bool with_bisections) {
  auto& a = ctx.alloc();
  const analysis::Identity& id = r.identity.identity;
  json::Value o(rapidjson::kObjectType);
  ctx.set(o, "id", r.id);
  ctx.set(o, "kind", analysis::kind_name(id.kind));
  ctx.set(o, "path", id.kind == analysis::Kind::kTest ? id.path : std::string("(build)"));
  ctx.set(o, "platform", id.platform);
  ctx.set(o, "origin", id.origin);
  ctx.set(o, "tree_name", id.tree_name);
  ctx.set(o, "git_repository_branch", id.git_repository_branch);
  ctx.set(o, "architecture", id.architecture);
  ctx.set(o, "config_name", id.config_name);
  ctx.set(o, "compiler", id.compiler);
  o.AddMember("active", r.active, a);
  o.AddMember("unstable", r.unstable, a);
  o.AddMember("reported", r.reported, a);
  o.AddMember("fail_count", static_cast<std::int64_t>(r.fail_count), a);
  o.AddMember("failing_since_days", static_cast<std::int64_t>(r.failing_since_days), a);
  ctx.set(o, "failing_since",
          failing_since_text(r.failing_since_days, r.first_fail.time, r.fail_count));
  ctx.set(o, "summary", r.summary);
  o.AddMember("last_pass", point_json(ctx, r.last_pass, id.kind), a);
  o.AddMember("first_fail", point_json(ctx, r.first_fail, id.kind), a);
  o.AddMember("last_fail", point_json(ctx, r.last_fail, id.kind), a);
  if (r.fixed_by) o.AddMember("fixed_by", point_json(ctx, *r.fixed_by, id.kind), a);

  json::Value known(rapidjson::kArrayType);
  for (const std::string& issue : known_issues(ctx, r)) {
    json::Value k(rapidjson::kObjectType);
    ctx.set(k, "id", issue);
    ctx.set(k, "href", ctx.object_link("issue", issue));
    known.PushBack(k, a);
  }
  o.AddMember("known", known.Size() > 0, a);
  o.AddMember("known_issues", known, a);

  if (with_bisections) {
    json::Value bisections(rapidjson::kArrayType);
    ctx.db.exec(
        "SELECT id, state, status, culprit FROM bisections WHERE regression_id = $1 ORDER BY id",
        {r.id}, [&](const store::SqlRow& row) {
          json::Value b(rapidjson::kObjectType);
          std::string bid = std::to_string(row.integer(0));
          ctx.set(b, "id", bid);
          ctx.set(b, "href", ctx.object_link("bisection", bid));
          ctx.set(b, "state", row.text(1));
          ctx.set(b, "status", row.text(2));
          ctx.set(b, "culprit", row.text(3));
          bisections.PushBack(b, a);
        });
    o.AddMember("bisections", bisections, a);
  }
  return o;
}

std::string regressions_page(PageContext& ctx) {
  auto& a = ctx.alloc();
  analysis::RegressionFilter filter;
  std::string tree = ctx.param("tree"), branch = ctx.param("branch"), origin = ctx.param("origin"),
              q = ctx.param("q");
  bool all = ctx.param("all") == "1";
  bool hide_unstable = ctx.param("unstable") == "0";
  bool hide_known = ctx.param("known") == "0";
  if (!tree.empty()) filter.tree = tree;
  if (!branch.empty()) filter.branch = branch;
  if (!origin.empty()) filter.origin = origin;
  filter.all = all;
  std::int64_t page = ctx.int_param("page", 1, 1, 100000);

  std::vector<analysis::RegressionInfo> list;
  if (table_exists(ctx, "analysis_regressions")) list = analysis::regressions(ctx.db, filter);
  // Active first, then the longest failing, then by path.
  std::stable_sort(list.begin(), list.end(), [](const auto& x, const auto& y) {
    if (x.active != y.active) return x.active;
    if (x.first_fail.time != y.first_fail.time) return x.first_fail.time < y.first_fail.time;
    return x.identity.identity.path < y.identity.identity.path;
  });
  bool bisections = table_exists(ctx, "bisections");
  json::Value rows(rapidjson::kArrayType);
  std::int64_t matched = 0, active = 0, unstable = 0;
  std::int64_t first = (page - 1) * kPerPage;
  for (const analysis::RegressionInfo& r : list) {
    if (!q.empty() && r.identity.identity.path.find(q) == std::string::npos &&
        r.identity.identity.platform.find(q) == std::string::npos) {
      continue;
    }
    if (hide_unstable && r.unstable) continue;
    if (hide_known && !known_issues(ctx, r).empty()) continue;
    if (matched >= first && matched < first + kPerPage) {
      rows.PushBack(regression_json(ctx, r, bisections), a);
    }
    ++matched;
    if (r.active) ++active;
    if (r.unstable) ++unstable;
  }
  ctx.set(ctx.doc, "tree", tree);
  ctx.set(ctx.doc, "branch", branch);
  ctx.set(ctx.doc, "origin", origin);
  ctx.set(ctx.doc, "q", q);
  ctx.doc.AddMember("all", all, a);
  ctx.doc.AddMember("hide_unstable", hide_unstable, a);
  ctx.doc.AddMember("hide_known", hide_known, a);
  ctx.doc.AddMember("total", matched, a);
  ctx.doc.AddMember("active_total", active, a);
  ctx.doc.AddMember("unstable_total", unstable, a);
  ctx.doc.AddMember("page", page, a);
  ctx.doc.AddMember("regressions", rows, a);
  std::string query;
  for (const auto& [k, v] : ctx.params) {
    if (k == "page") continue;
    query += url_encode(k) + "=" + url_encode(v) + "&";
  }
  if (page > 1) {
    ctx.set(ctx.doc, "prev_href",
            ctx.link("/regressions?" + query + "page=" + std::to_string(page - 1)));
  }
  if (first + kPerPage < matched) {
    ctx.set(ctx.doc, "next_href",
            ctx.link("/regressions?" + query + "page=" + std::to_string(page + 1)));
  }
  return all ? "Regressions (active and closed)" : "Active regressions";
}

json::Value checkout_regressions(PageContext& ctx, const std::string& checkout_id) {
  json::Value out(rapidjson::kArrayType);
  if (!table_exists(ctx, "analysis_regressions")) return out;
  std::optional<analysis::CheckoutInfo> c = analysis::checkout_info(ctx.db, checkout_id);
  if (!c) return out;
  analysis::RegressionFilter filter;
  filter.tree = c->tree_name;
  filter.branch = c->git_repository_branch;
  filter.origin = c->origin;
  filter.all = true;
  bool bisections = table_exists(ctx, "bisections");
  for (const analysis::RegressionInfo& r : analysis::regressions(ctx.db, filter)) {
    if (r.identity.identity.git_repository_url != c->git_repository_url) continue;
    // Failing in this checkout: it began at or before it and was not fixed
    // before or by it.
    if (r.first_fail.time > c->order_time) continue;
    if (r.fixed_by && r.fixed_by->time <= c->order_time) continue;
    if (!r.fixed_by && r.last_fail.time < c->order_time) continue;
    out.PushBack(regression_json(ctx, r, bisections), ctx.alloc());
    if (out.Size() >= 100) break;
  }
  return out;
}

}  // namespace kci::web

namespace kci::web {

json::Value identity_regressions(PageContext& ctx, const std::string& identity_key) {
  json::Value out(rapidjson::kArrayType);
  if (!table_exists(ctx, "analysis_regressions")) return out;
  analysis::RegressionFilter filter;
  filter.identity_key = identity_key;
  filter.all = true;
  bool bisections = table_exists(ctx, "bisections");
  std::vector<analysis::RegressionInfo> list = analysis::regressions(ctx.db, filter);
  std::stable_sort(list.begin(), list.end(),
                   [](const auto& x, const auto& y) { return x.active && !y.active; });
  for (const analysis::RegressionInfo& r : list) {
    out.PushBack(regression_json(ctx, r, bisections), ctx.alloc());
    if (out.Size() >= 20) break;
  }
  return out;
}

}  // namespace kci::web
