// SPDX-License-Identifier: LGPL-2.1-or-later
// Page 2, a checkout: its fields, failures first, the known issues of its
// failures, its builds, its tests per platform / lab / plan, and the
// previous and next checkout of its branch.
#include "web/html.h"
#include "web/page.h"

namespace kci::web {

namespace {

const std::vector<Column> kColumns = {
    {"id", Col::kText},
    {"origin", Col::kText},
    {"tree_name", Col::kText},
    {"git_repository_url", Col::kText},
    {"git_repository_branch", Col::kText},
    {"git_commit_hash", Col::kText},
    {"git_commit_name", Col::kText},
    {"git_commit_tags", Col::kArray},
    {"patchset_hash", Col::kText},
    {"message_id", Col::kText},
    {"comment", Col::kText},
    {"start_time", Col::kTime},
    {"log_url", Col::kText},
    {"log_excerpt", Col::kText},
    {"valid", Col::kBool},
    {"misc", Col::kJson},
    {"origin_builds_finish_time", Col::kTime},
    {"origin_tests_finish_time", Col::kTime},
};

const std::vector<Column> kBuildColumns = {
    {"id", Col::kText},         {"architecture", Col::kText}, {"config_name", Col::kText},
    {"compiler", Col::kText},   {"status", Col::kText},       {"duration", Col::kReal},
    {"start_time", Col::kTime}, {"log_url", Col::kText},      {"comment", Col::kText},
};

constexpr std::int64_t kBuildsPerPage = 200;
constexpr std::int64_t kFailuresShown = 100;

constexpr std::int64_t kKnownIssuesShown = 50;

// The issues with incidents on the checkout's builds or tests, most
// incidents first: what is already known about its failures (from triage,
// bisection or another CI system). Each arm walks the checkout's builds
// (index on checkout_id) and their incidents (indexes on build_id, test_id).
json::Value checkout_known_issues(PageContext& ctx, const std::string& id) {
  auto& a = ctx.alloc();
  json::Value issues(rapidjson::kArrayType);
  ctx.db.exec(
      "SELECT x.issue_id, x.issue_version, COUNT(*), MAX(i.report_subject), "
      "MAX(i.report_url), MAX(CASE WHEN i.culprit_code THEN 1 ELSE 0 END), "
      "MAX(CASE WHEN i.culprit_tool THEN 1 ELSE 0 END), "
      "MAX(CASE WHEN i.culprit_harness THEN 1 ELSE 0 END) FROM ("
      "SELECT n.issue_id, n.issue_version FROM builds b JOIN incidents n ON n.build_id = b.id "
      "WHERE b.checkout_id = $1 UNION ALL "
      "SELECT n.issue_id, n.issue_version FROM builds b JOIN tests t ON t.build_id = b.id "
      "JOIN incidents n ON n.test_id = t.id WHERE b.checkout_id = $1) x "
      "LEFT JOIN issues i ON i.id = x.issue_id AND i.version = x.issue_version "
      "GROUP BY x.issue_id, x.issue_version ORDER BY COUNT(*) DESC, x.issue_id, "
      "x.issue_version DESC LIMIT $2",
      {id, std::to_string(kKnownIssuesShown)}, [&](const store::SqlRow& row) {
        json::Value o(rapidjson::kObjectType);
        std::string issue_id(row.text(0));
        std::string version(row.text(1));
        o.AddMember("id", ctx.str(issue_id), a);
        o.AddMember("version", ctx.str(version), a);
        o.AddMember("href", ctx.str(ctx.object_link("issue", issue_id) + "?version=" + version), a);
        o.AddMember("incidents", row.integer(2), a);
        if (!row.is_null(3)) o.AddMember("report_subject", ctx.str(row.text(3)), a);
        if (!row.is_null(4)) o.AddMember("report_url", ctx.str(row.text(4)), a);
        std::string culprit;
        if (!row.is_null(5) && row.integer(5)) culprit += "code ";
        if (!row.is_null(6) && row.integer(6)) culprit += "tool ";
        if (!row.is_null(7) && row.integer(7)) culprit += "harness";
        while (!culprit.empty() && culprit.back() == ' ') culprit.pop_back();
        if (!culprit.empty()) o.AddMember("culprit", ctx.str(culprit), a);
        ctx.add_href(o, "report_url");
        issues.PushBack(o, a);
      });
  return issues;
}

}  // namespace

// The previous (before = true) or next checkout of the same branch.
json::Value neighbour_checkout(PageContext& ctx, const json::Value& c, bool before) {
  auto text = [&](const char* name) -> store::SqlValue {
    auto it = c.FindMember(name);
    if (it == c.MemberEnd() || !it->value.IsString()) return std::nullopt;
    return std::string(json::str(it->value));
  };
  json::Value out;
  store::SqlValue start = text("start_time");
  if (!start) return out;
  std::string is = ctx.is();
  std::string sql = "SELECT id, git_commit_name, " +
                    std::string(ctx.postgres() ? "to_json(start_time)#>>'{}'" : "start_time") +
                    " FROM checkouts WHERE git_repository_branch " + is +
                    " $1 AND git_repository_url " + is + " $2 AND tree_name " + is +
                    " $3 AND origin = $4 AND start_time " + (before ? "<" : ">") +
                    " $5 ORDER BY start_time " + (before ? "DESC" : "ASC") + " LIMIT 1";
  ctx.db.exec(sql,
              {text("git_repository_branch"), text("git_repository_url"), text("tree_name"),
               text("origin"), start},
              [&](const store::SqlRow& row) {
                out.SetObject();
                std::string id(row.text(0));
                out.AddMember("id", ctx.str(id), ctx.alloc());
                out.AddMember("href", ctx.str(ctx.object_link("checkout", id)), ctx.alloc());
                if (!row.is_null(1))
                  out.AddMember("git_commit_name", ctx.str(row.text(1)), ctx.alloc());
                out.AddMember("label", ctx.str(row.is_null(1) ? row.text(0) : row.text(1)),
                              ctx.alloc());
                out.AddMember("start_time", ctx.str(row.text(2)), ctx.alloc());
              });
  return out;
}

std::string checkout_page(PageContext& ctx, const std::string& id) {
  auto& a = ctx.alloc();
  json::Value checkout;
  ctx.db.exec("SELECT " + ctx.select_list("c", kColumns) + " FROM checkouts c WHERE c.id = $1",
              {id}, [&](const store::SqlRow& row) { checkout = ctx.row_object(row, 0, kColumns); });
  if (!checkout.IsObject()) throw PageError{404, "No checkout with id " + id};
  std::int64_t page = ctx.int_param("builds_page", 1, 1, 100000);

  ctx.set(checkout, "href", ctx.object_link("checkout", id));
  ctx.add_href(checkout, "git_repository_url");
  ctx.add_href(checkout, "log_url");
  if (checkout.HasMember("misc")) {
    json::Value items = ctx.misc_items(checkout["misc"]);
    checkout.AddMember("misc_items", items, a);
  }

  json::Value counts = checkout_counts_json(ctx, id);

  // Builds, a page at a time.
  json::Value builds(rapidjson::kArrayType);
  std::int64_t offset = (page - 1) * kBuildsPerPage;
  bool more = false;
  ctx.db.exec("SELECT " + ctx.select_list("b", kBuildColumns) +
                  " FROM builds b WHERE b.checkout_id = $1 ORDER BY b.architecture, "
                  "b.config_name, b.compiler, b.id LIMIT $2 OFFSET $3",
              {id, std::to_string(kBuildsPerPage + 1), std::to_string(offset)},
              [&](const store::SqlRow& row) {
                if (static_cast<std::int64_t>(builds.Size()) == kBuildsPerPage) {
                  more = true;
                  return;
                }
                json::Value b = ctx.row_object(row, 0, kBuildColumns);
                ctx.set(b, "href", ctx.object_link("build", std::string(row.text(0))));
                ctx.add_href(b, "log_url");
                builds.PushBack(b, a);
              });
  std::string self = "/checkout/" + url_encode(id);
  if (page > 1) {
    ctx.doc.AddMember("builds_prev_href",
                      ctx.str(ctx.link(self + "?builds_page=" + std::to_string(page - 1))), a);
  }
  if (more) {
    ctx.doc.AddMember("builds_next_href",
                      ctx.str(ctx.link(self + "?builds_page=" + std::to_string(page + 1))), a);
  }

  // Failed tests first (at most kFailuresShown).
  json::Value failures(rapidjson::kArrayType);
  std::string env_cols = ctx.postgres() ? "t.misc::text, to_json(t.environment_compatible)::text"
                                        : "t.misc, t.environment_compatible";
  std::int64_t failures_total = 0;
  std::string platform, lab, plan;
  ctx.db.exec("SELECT t.id, t.path, t.status, " + env_cols +
                  ", b.architecture, b.config_name, b.id FROM builds b JOIN tests t ON "
                  "t.build_id = b.id WHERE b.checkout_id = $1 AND t.status = 'FAIL' "
                  "ORDER BY t.path, t.id",
              {id}, [&](const store::SqlRow& row) {
                if (++failures_total > kFailuresShown) return;
                json::Value f(rapidjson::kObjectType);
                std::string test_id(row.text(0));
                f.AddMember("id", ctx.str(test_id), a);
                f.AddMember("href", ctx.str(ctx.object_link("test", test_id)), a);
                f.AddMember("path", ctx.str(row.text(1)), a);
                f.AddMember("status", ctx.str(row.text(2)), a);
                test_environment(row.text(3), row.text(4), platform, lab, plan);
                f.AddMember("platform", ctx.str(platform), a);
                f.AddMember("lab", ctx.str(lab), a);
                f.AddMember("architecture", ctx.str(row.text(5)), a);
                f.AddMember("config_name", ctx.str(row.text(6)), a);
                f.AddMember("build_href",
                            ctx.str(ctx.object_link("build", std::string(row.text(7)))), a);
                failures.PushBack(f, a);
              });

  // Tests per platform / lab / plan.
  json::Value groups(rapidjson::kArrayType);
  for (const TestGroup& g : *ctx.counts.groups(ctx.db, id)) {
    json::Value o(rapidjson::kObjectType);
    o.AddMember("platform", ctx.str(g.platform), a);
    o.AddMember("lab", ctx.str(g.lab), a);
    o.AddMember("plan", ctx.str(g.plan), a);
    o.AddMember("pass", g.counts.pass, a);
    o.AddMember("fail", g.counts.fail, a);
    o.AddMember("skip", g.counts.skip, a);
    o.AddMember("other", g.counts.other(), a);
    o.AddMember("total", g.counts.total(), a);
    groups.PushBack(o, a);
  }

  json::Value regressions = checkout_regressions(ctx, id);
  json::Value known_issues = checkout_known_issues(ctx, id);
  json::Value previous = neighbour_checkout(ctx, checkout, true);
  if (previous.IsObject()) {
    ctx.set(
        previous, "compare_href",
        ctx.link("/compare?a=" + url_encode(json::str(previous["id"])) + "&b=" + url_encode(id)));
  }
  json::Value next = neighbour_checkout(ctx, checkout, false);
  std::string title = "Checkout " + (checkout.HasMember("git_commit_name")
                                         ? std::string(json::str(checkout["git_commit_name"]))
                                         : id);
  ctx.doc.AddMember("regressions", regressions, a);
  ctx.set(ctx.doc, "compare_href", ctx.link("/compare?b=" + url_encode(id)));
  ctx.doc.AddMember("checkout", checkout, a);
  ctx.doc.AddMember("counts", counts, a);
  ctx.doc.AddMember("builds_page", page, a);
  ctx.doc.AddMember("builds", builds, a);
  ctx.doc.AddMember("failures_total", failures_total, a);
  ctx.doc.AddMember("failures_more", failures_total > kFailuresShown, a);
  ctx.doc.AddMember("failures", failures, a);
  ctx.doc.AddMember("groups", groups, a);
  ctx.doc.AddMember("known_issues", known_issues, a);
  if (previous.IsObject()) ctx.doc.AddMember("previous", previous, a);
  if (next.IsObject()) ctx.doc.AddMember("next", next, a);
  return title;
}

}  // namespace kci::web
