// SPDX-License-Identifier: LGPL-2.1-or-later
// Page 10, a tree's branch over time: per checkout (the latest 60, oldest
// left) the builds and the tests by status, drawn as two bar plots, with a
// table of the same numbers and links to each checkout and to the compare
// page of consecutive checkouts. From the analysis summaries.
#include <algorithm>
#include <map>

#include "web/html.h"
#include "web/page.h"

namespace kci::web {

namespace {

constexpr int kCheckouts = 60;

struct Point {
  std::string id, describe, time, origin;
  StatusCounts builds, tests;
};

}  // namespace

std::string tree_page(PageContext& ctx) {
  auto& a = ctx.alloc();
  std::string tree = ctx.param("tree"), branch = ctx.param("branch"), origin = ctx.param("origin");
  if (tree.empty() && branch.empty()) throw PageError{400, "parameters tree and branch missing"};
  std::vector<Point> points;
  std::map<std::string, std::size_t> index;
  if (table_exists(ctx, "analysis_checkouts")) {
    ctx.db.exec(
        "SELECT id, describe, order_time, origin FROM analysis_checkouts WHERE tree_name = $1 "
        "AND git_repository_branch = $2 AND ($3 = '' OR origin = $3) "
        "ORDER BY order_time DESC, id DESC LIMIT $4",
        {tree, branch, origin, std::to_string(kCheckouts)}, [&](const store::SqlRow& row) {
          Point p;
          p.id = row.text(0);
          p.describe = row.text(1);
          p.time = row.text(2);
          p.origin = row.text(3);
          points.push_back(std::move(p));
        });
  }
  if (points.empty()) throw PageError{404, "No analysed checkouts of " + tree + " " + branch};
  std::reverse(points.begin(), points.end());
  for (std::size_t i = 0; i < points.size(); ++i) index[points[i].id] = i;
  ctx.db.exec(
      "SELECT s.checkout_id, s.kind, s.status, SUM(s.count) FROM analysis_summary s WHERE "
      "s.checkout_id IN (SELECT id FROM analysis_checkouts WHERE tree_name = $1 AND "
      "git_repository_branch = $2 AND ($3 = '' OR origin = $3) ORDER BY order_time DESC, id "
      "DESC LIMIT $4) GROUP BY s.checkout_id, s.kind, s.status",
      {tree, branch, origin, std::to_string(kCheckouts)}, [&](const store::SqlRow& row) {
        auto it = index.find(std::string(row.text(0)));
        if (it == index.end()) return;
        Point& p = points[it->second];
        (row.text(1) == "build" ? p.builds : p.tests).add(row.text(2), row.integer(3));
      });

  std::vector<Bar> build_bars, test_bars;
  json::Value rows(rapidjson::kArrayType);
  for (std::size_t i = 0; i < points.size(); ++i) {
    const Point& p = points[i];
    std::string label = p.describe.empty() ? p.id : p.describe;
    std::string href = ctx.object_link("checkout", p.id);
    build_bars.push_back(
        {label + " " + p.time.substr(0, 10) + ": builds " + std::to_string(p.builds.pass) +
             " pass, " + std::to_string(p.builds.fail) + " fail, " +
             std::to_string(p.builds.total() - p.builds.pass - p.builds.fail) + " other",
         href,
         {{"pass", static_cast<double>(p.builds.pass)},
          {"fail", static_cast<double>(p.builds.fail)},
          {"other", static_cast<double>(p.builds.total() - p.builds.pass - p.builds.fail)}}});
    test_bars.push_back(
        {label + " " + p.time.substr(0, 10) + ": tests " + std::to_string(p.tests.pass) +
             " pass, " + std::to_string(p.tests.fail) + " fail, " +
             std::to_string(p.tests.error + p.tests.miss) + " infra, " +
             std::to_string(p.tests.skip + p.tests.done + p.tests.none) + " other",
         href,
         {{"pass", static_cast<double>(p.tests.pass)},
          {"fail", static_cast<double>(p.tests.fail)},
          {"error", static_cast<double>(p.tests.error + p.tests.miss)},
          {"other", static_cast<double>(p.tests.skip + p.tests.done + p.tests.none)}}});
    json::Value o(rapidjson::kObjectType);
    ctx.set(o, "id", p.id);
    ctx.set(o, "href", href);
    ctx.set(o, "label", label);
    ctx.set(o, "origin", p.origin);
    ctx.set(o, "start_time", p.time);
    o.AddMember("builds_pass", p.builds.pass, a);
    o.AddMember("builds_fail", p.builds.fail, a);
    o.AddMember("builds_total", p.builds.total(), a);
    o.AddMember("tests_pass", p.tests.pass, a);
    o.AddMember("tests_fail", p.tests.fail, a);
    o.AddMember("tests_infra", p.tests.error + p.tests.miss, a);
    o.AddMember("tests_total", p.tests.total(), a);
    if (i > 0) {
      ctx.set(o, "compare_href",
              ctx.link("/compare?a=" + url_encode(points[i - 1].id) + "&b=" + url_encode(p.id)));
    }
    rows.PushBack(o, a);
  }
  // Newest first in the table.
  json::Value newest_first(rapidjson::kArrayType);
  for (auto i = rows.Size(); i > 0; --i) newest_first.PushBack(rows[i - 1], a);
  ctx.set(ctx.doc, "tree", tree);
  ctx.set(ctx.doc, "branch", branch);
  ctx.set(ctx.doc, "origin", origin);
  ctx.set(ctx.doc, "builds_svg", bars_svg(build_bars, "Builds per checkout, oldest first"));
  ctx.set(ctx.doc, "tests_svg", bars_svg(test_bars, "Tests per checkout, oldest first"));
  ctx.doc.AddMember("checkouts", newest_first, a);
  ctx.set(ctx.doc, "regressions_href",
          ctx.link("/regressions?tree=" + url_encode(tree) + "&branch=" + url_encode(branch)));
  return tree + " " + branch + " over time";
}

}  // namespace kci::web
