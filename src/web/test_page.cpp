// SPDX-License-Identifier: LGPL-2.1-or-later
// Page 4, a test: its fields, log excerpt, environment, artifacts,
// incidents, and the status history of its identity (same origin, tree and
// branch, build configuration, path and platform) over the branch's latest
// checkouts, drawn as an SVG plot.
#include <map>

#include "analysis/queries.h"
#include "web/html.h"
#include "web/page.h"

namespace kci::web {

namespace {

const std::vector<Column> kColumns = {
    {"id", Col::kText},
    {"build_id", Col::kText},
    {"origin", Col::kText},
    {"path", Col::kText},
    {"status", Col::kText},
    {"start_time", Col::kTime},
    {"duration", Col::kReal},
    {"comment", Col::kText},
    {"log_url", Col::kText},
    {"log_excerpt", Col::kText},
    {"environment_comment", Col::kText},
    {"environment_compatible", Col::kArray},
    {"environment_misc", Col::kJson},
    {"output_files", Col::kJson},
    {"input_files", Col::kJson},
    {"misc", Col::kJson},
    {"number_value", Col::kReal},
    {"number_unit", Col::kText},
    {"number_prefix", Col::kText},
};

const std::vector<Column> kBuildColumns = {
    {"id", Col::kText},          {"checkout_id", Col::kText}, {"architecture", Col::kText},
    {"config_name", Col::kText}, {"compiler", Col::kText},    {"status", Col::kText},
};

const std::vector<Column> kCheckoutColumns = {
    {"id", Col::kText},
    {"origin", Col::kText},
    {"tree_name", Col::kText},
    {"git_repository_url", Col::kText},
    {"git_repository_branch", Col::kText},
    {"git_commit_name", Col::kText},
    {"git_commit_hash", Col::kText},
    {"start_time", Col::kTime},
};

// Checkouts of the branch the history covers (newest first).
constexpr int kHistoryCheckouts = 40;

store::SqlValue member(const json::Value& obj, const char* name) {
  if (!obj.IsObject()) return std::nullopt;
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return std::string(json::str(it->value));
}

// Which status one checkout's mark shows when the identity ran more than
// once there: FAIL over PASS over the rest.
int rank(std::string_view status) {
  if (status == "FAIL") return 3;
  if (status == "PASS") return 2;
  if (status.empty()) return 0;
  return 1;
}

}  // namespace

std::string test_page(PageContext& ctx, const std::string& id) {
  auto& a = ctx.alloc();
  json::Value test;
  ctx.db.exec("SELECT " + ctx.select_list("t", kColumns) + " FROM tests t WHERE t.id = $1", {id},
              [&](const store::SqlRow& row) { test = ctx.row_object(row, 0, kColumns); });
  if (!test.IsObject()) throw PageError{404, "No test with id " + id};

  std::string misc_text = test.HasMember("misc") ? json::write(test["misc"]) : "";
  std::string compatible_text =
      test.HasMember("environment_compatible") ? json::write(test["environment_compatible"]) : "";
  std::string platform, lab, plan;
  test_environment(misc_text, compatible_text, platform, lab, plan);

  ctx.set(test, "href", ctx.object_link("test", id));
  ctx.add_href(test, "log_url");
  if (test.HasMember("output_files")) ctx.add_file_hrefs(test["output_files"]);
  if (test.HasMember("input_files")) ctx.add_file_hrefs(test["input_files"]);
  for (const char* m : {"misc", "environment_misc"}) {
    if (test.HasMember(m)) {
      json::Value items = ctx.misc_items(test[m]);
      std::string name = std::string(m) + "_items";
      test.AddMember(json::Value(name.c_str(), a), items, a);
    }
  }
  test.AddMember("platform", ctx.str(platform), a);
  test.AddMember("lab", ctx.str(lab), a);
  test.AddMember("plan", ctx.str(plan), a);

  json::Value build;
  if (auto build_id = member(test, "build_id")) {
    ctx.db.exec("SELECT " + ctx.select_list("b", kBuildColumns) + " FROM builds b WHERE b.id = $1",
                {*build_id}, [&](const store::SqlRow& row) {
                  build = ctx.row_object(row, 0, kBuildColumns);
                  ctx.set(build, "href", ctx.object_link("build", *build_id));
                });
  }
  json::Value checkout;
  if (auto checkout_id = member(build, "checkout_id")) {
    ctx.db.exec(
        "SELECT " + ctx.select_list("c", kCheckoutColumns) + " FROM checkouts c WHERE c.id = $1",
        {*checkout_id}, [&](const store::SqlRow& row) {
          checkout = ctx.row_object(row, 0, kCheckoutColumns);
          ctx.set(checkout, "href", ctx.object_link("checkout", *checkout_id));
        });
  }

  // The identity's history over the branch's latest checkouts.
  json::Value history(rapidjson::kArrayType);
  std::string svg;
  if (checkout.IsObject() && build.IsObject() && test.HasMember("path")) {
    std::string is = ctx.is();
    struct Mark {
      std::string checkout_id, describe, time;
      std::string status, test_id;
      int runs = 0;
    };
    std::vector<Mark> marks;
    std::map<std::string, std::size_t> index;
    ctx.db.exec("SELECT id, git_commit_name, " +
                    std::string(ctx.postgres() ? "to_json(start_time)#>>'{}'" : "start_time") +
                    " FROM checkouts WHERE git_repository_branch " + is +
                    " $1 AND git_repository_url " + is + " $2 AND tree_name " + is +
                    " $3 AND origin = $4 ORDER BY start_time DESC LIMIT " +
                    std::to_string(kHistoryCheckouts),
                {member(checkout, "git_repository_branch"), member(checkout, "git_repository_url"),
                 member(checkout, "tree_name"), member(checkout, "origin")},
                [&](const store::SqlRow& row) {
                  index[std::string(row.text(0))] = marks.size();
                  marks.push_back({std::string(row.text(0)), std::string(row.text(1)),
                                   std::string(row.text(2)), "", "", 0});
                });
    if (!marks.empty()) {
      std::vector<store::SqlValue> params = {member(test, "path"), member(build, "architecture"),
                                             member(build, "config_name"),
                                             member(build, "compiler"), member(test, "origin")};
      std::string in;
      for (const Mark& m : marks) {
        params.push_back(m.checkout_id);
        in += (in.empty() ? "$" : ", $") + std::to_string(params.size());
      }
      std::string env_cols = ctx.postgres()
                                 ? "t.misc::text, to_json(t.environment_compatible)::text"
                                 : "t.misc, t.environment_compatible";
      std::string p2, l2, pl2;
      ctx.db.exec("SELECT b.checkout_id, t.id, t.status, " + env_cols +
                      " FROM builds b JOIN tests t ON t.build_id = b.id AND t.path = $1 "
                      "WHERE b.checkout_id IN (" +
                      in + ") AND b.architecture " + is + " $2 AND b.config_name " + is +
                      " $3 AND b.compiler " + is + " $4 AND t.origin = $5",
                  params, [&](const store::SqlRow& row) {
                    test_environment(row.text(3), row.text(4), p2, l2, pl2);
                    if (p2 != platform) return;
                    Mark& m = marks[index[std::string(row.text(0))]];
                    ++m.runs;
                    std::string_view status = row.text(2);
                    std::string_view test_id = row.text(1);
                    if (m.test_id.empty() || rank(status) > rank(m.status) || test_id == id) {
                      m.status = status;
                      m.test_id = test_id;
                    }
                  });
    }
    std::vector<PlotPoint> points;
    for (auto it = marks.rbegin(); it != marks.rend(); ++it) {
      if (it->runs == 0) continue;
      json::Value h(rapidjson::kObjectType);
      h.AddMember("checkout_id", ctx.str(it->checkout_id), a);
      h.AddMember("checkout_href", ctx.str(ctx.object_link("checkout", it->checkout_id)), a);
      h.AddMember("git_commit_name", ctx.str(it->describe), a);
      h.AddMember("label", ctx.str(it->describe.empty() ? it->checkout_id : it->describe), a);
      h.AddMember("start_time", ctx.str(it->time), a);
      h.AddMember("status", ctx.str(it->status), a);
      h.AddMember("test_id", ctx.str(it->test_id), a);
      std::string href = ctx.object_link("test", it->test_id);
      h.AddMember("test_href", ctx.str(href), a);
      h.AddMember("runs", it->runs, a);
      h.AddMember("current", it->test_id == id, a);
      history.PushBack(h, a);
      points.push_back({it->time, it->status, href,
                        (it->describe.empty() ? it->checkout_id : it->describe) + ": " +
                            (it->status.empty() ? "no status" : it->status) +
                            (it->runs > 1 ? " (" + std::to_string(it->runs) + " runs)" : "")});
    }
    svg = history_svg(points);
  }

  std::string title = "Test " + std::string(test.HasMember("path") ? json::str(test["path"]) : id);
  ctx.doc.AddMember("test", test, a);
  if (build.IsObject()) ctx.doc.AddMember("build", build, a);
  if (checkout.IsObject()) ctx.doc.AddMember("checkout", checkout, a);
  ctx.doc.AddMember("history", history, a);
  ctx.doc.AddMember("incidents", incidents_of(ctx, "test_id", id), a);
  json::Value regressions(rapidjson::kArrayType);
  if (table_exists(ctx, "analysis_identities")) {
    if (auto identity = analysis::identity_of(ctx.db, analysis::Kind::kTest, id)) {
      regressions = identity_regressions(ctx, identity->key);
    }
  }
  ctx.doc.AddMember("regressions", regressions, a);
  ctx.set(ctx.doc, "log_html_href", ctx.link("/log/test/" + url_encode(id)));
  // The plot is markup kci drew (every text in it escaped); the HTML
  // template inserts it unescaped, the JSON twin has the points.
  ctx.doc.AddMember("history_svg", ctx.str(svg), a);
  return title;
}

}  // namespace kci::web
