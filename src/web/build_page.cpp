// SPDX-License-Identifier: LGPL-2.1-or-later
// Page 3, a build: its fields, log and artifacts, its tests and incidents.
#include "web/html.h"
#include "web/page.h"

namespace kci::web {

namespace {

const std::vector<Column> kColumns = {
    {"id", Col::kText},           {"checkout_id", Col::kText},  {"origin", Col::kText},
    {"comment", Col::kText},      {"start_time", Col::kTime},   {"duration", Col::kReal},
    {"architecture", Col::kText}, {"command", Col::kText},      {"compiler", Col::kText},
    {"input_files", Col::kJson},  {"output_files", Col::kJson}, {"config_name", Col::kText},
    {"config_url", Col::kText},   {"log_url", Col::kText},      {"log_excerpt", Col::kText},
    {"misc", Col::kJson},         {"status", Col::kText},
};

const std::vector<Column> kParentColumns = {
    {"id", Col::kText},
    {"tree_name", Col::kText},
    {"git_repository_branch", Col::kText},
    {"git_commit_name", Col::kText},
    {"git_commit_hash", Col::kText},
};

const std::vector<Column> kTestColumns = {
    {"id", Col::kText},         {"path", Col::kText},     {"status", Col::kText},
    {"start_time", Col::kTime}, {"duration", Col::kReal},
};

const std::vector<Column> kIncidentColumns = {
    {"id", Col::kText},           {"origin", Col::kText},  {"issue_id", Col::kText},
    {"issue_version", Col::kInt}, {"present", Col::kBool}, {"comment", Col::kText},
};

constexpr std::int64_t kTestsPerPage = 500;

}  // namespace

// The checkout a build or test belongs to, as a small object (or null).
json::Value checkout_brief(PageContext& ctx, const std::string& checkout_id) {
  json::Value out;
  ctx.db.exec(
      "SELECT " + ctx.select_list("c", kParentColumns) + " FROM checkouts c WHERE c.id = $1",
      {checkout_id}, [&](const store::SqlRow& row) {
        out = ctx.row_object(row, 0, kParentColumns);
        ctx.set(out, "href", ctx.object_link("checkout", checkout_id));
      });
  return out;
}

// Incidents naming a build or test (column "build_id" or "test_id").
json::Value incidents_of(PageContext& ctx, const char* column, const std::string& id) {
  json::Value out(rapidjson::kArrayType);
  ctx.db.exec("SELECT " + ctx.select_list("i", kIncidentColumns) + " FROM incidents i WHERE i." +
                  column + " = $1 ORDER BY i.id LIMIT 200",
              {id}, [&](const store::SqlRow& row) {
                json::Value n = ctx.row_object(row, 0, kIncidentColumns);
                if (!row.is_null(2) && !row.is_null(3)) {
                  ctx.set(n, "issue_href",
                          ctx.object_link("issue", std::string(row.text(2))) +
                              "?version=" + std::string(row.text(3)));
                }
                out.PushBack(n, ctx.alloc());
              });
  return out;
}

std::string build_page(PageContext& ctx, const std::string& id) {
  auto& a = ctx.alloc();
  json::Value build;
  ctx.db.exec("SELECT " + ctx.select_list("b", kColumns) + " FROM builds b WHERE b.id = $1", {id},
              [&](const store::SqlRow& row) { build = ctx.row_object(row, 0, kColumns); });
  if (!build.IsObject()) throw PageError{404, "No build with id " + id};
  std::int64_t page = ctx.int_param("tests_page", 1, 1, 100000);

  ctx.set(build, "href", ctx.object_link("build", id));
  ctx.add_href(build, "log_url");
  ctx.add_href(build, "config_url");
  if (build.HasMember("output_files")) ctx.add_file_hrefs(build["output_files"]);
  if (build.HasMember("input_files")) ctx.add_file_hrefs(build["input_files"]);
  if (build.HasMember("misc")) {
    json::Value items = ctx.misc_items(build["misc"]);
    build.AddMember("misc_items", items, a);
  }
  json::Value checkout;
  if (build.HasMember("checkout_id")) {
    checkout = checkout_brief(ctx, std::string(json::str(build["checkout_id"])));
  }

  StatusCounts counts;
  ctx.db.exec("SELECT status, COUNT(*) FROM tests WHERE build_id = $1 GROUP BY status", {id},
              [&](const store::SqlRow& row) { counts.add(row.text(0), row.integer(1)); });

  json::Value tests(rapidjson::kArrayType);
  bool more = false;
  std::int64_t offset = (page - 1) * kTestsPerPage;
  ctx.db.exec("SELECT " + ctx.select_list("t", kTestColumns) +
                  " FROM tests t WHERE t.build_id = $1 ORDER BY t.path, t.id LIMIT $2 OFFSET $3",
              {id, std::to_string(kTestsPerPage + 1), std::to_string(offset)},
              [&](const store::SqlRow& row) {
                if (static_cast<std::int64_t>(tests.Size()) == kTestsPerPage) {
                  more = true;
                  return;
                }
                json::Value t = ctx.row_object(row, 0, kTestColumns);
                ctx.set(t, "href", ctx.object_link("test", std::string(row.text(0))));
                tests.PushBack(t, a);
              });
  std::string self = "/build/" + url_encode(id);
  if (page > 1) {
    ctx.doc.AddMember("tests_prev_href",
                      ctx.str(ctx.link(self + "?tests_page=" + std::to_string(page - 1))), a);
  }
  if (more) {
    ctx.doc.AddMember("tests_next_href",
                      ctx.str(ctx.link(self + "?tests_page=" + std::to_string(page + 1))), a);
  }
  json::Value c(rapidjson::kObjectType);
  c.AddMember("pass", counts.pass, a);
  c.AddMember("fail", counts.fail, a);
  c.AddMember("skip", counts.skip, a);
  c.AddMember("other", counts.other(), a);
  c.AddMember("total", counts.total(), a);

  std::string title =
      "Build " +
      std::string(build.HasMember("config_name") ? json::str(build["config_name"]) : "") + " " +
      std::string(build.HasMember("architecture") ? json::str(build["architecture"]) : "");
  ctx.doc.AddMember("build", build, a);
  if (checkout.IsObject()) ctx.doc.AddMember("checkout", checkout, a);
  ctx.doc.AddMember("test_counts", c, a);
  ctx.doc.AddMember("tests_page", page, a);
  ctx.doc.AddMember("tests", tests, a);
  ctx.doc.AddMember("incidents", incidents_of(ctx, "build_id", id), a);
  ctx.set(ctx.doc, "log_html_href", ctx.link("/log/build/" + url_encode(id)));
  return title;
}

}  // namespace kci::web
