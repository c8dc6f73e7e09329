// SPDX-License-Identifier: LGPL-2.1-or-later
// Page 7, issues: the list (newest first, with incident counts, first and
// last seen, origins) and an issue with its incidents. From the store's
// issues and incidents tables (indexes: issues._timestamp,
// incidents.issue_id).
#include "web/html.h"
#include "web/page.h"

namespace kci::web {

namespace {

const std::vector<Column> kColumns = {
    {"id", Col::kText},           {"version", Col::kInt},          {"origin", Col::kText},
    {"report_url", Col::kText},   {"report_subject", Col::kText},  {"culprit_code", Col::kBool},
    {"culprit_tool", Col::kBool}, {"culprit_harness", Col::kBool}, {"comment", Col::kText},
    {"misc", Col::kJson},         {"categories", Col::kArray},     {"_timestamp", Col::kTime},
};

const std::vector<Column> kIncidentColumns = {
    {"id", Col::kText},         {"origin", Col::kText},  {"build_id", Col::kText},
    {"test_id", Col::kText},    {"present", Col::kBool}, {"comment", Col::kText},
    {"_timestamp", Col::kTime},
};

constexpr std::int64_t kIssuesPerPage = 100;
constexpr std::int64_t kIncidentsPerPage = 200;

std::string issue_link(PageContext& ctx, const std::string& id, std::int64_t version) {
  return ctx.object_link("issue", id) + "?version=" + std::to_string(version);
}

// Incident count, first and last seen, origins of one issue version.
void add_incident_summary(PageContext& ctx, json::Value& issue, const std::string& id,
                          std::int64_t version) {
  auto& a = ctx.alloc();
  std::string ts = ctx.postgres()
                       ? "to_json(MIN(_timestamp))#>>'{}', to_json(MAX(_timestamp))#>>'{}'"
                       : "MIN(_timestamp), MAX(_timestamp)";
  ctx.db.exec(
      "SELECT COUNT(*), " + ts + " FROM incidents WHERE issue_id = $1 AND issue_version = $2",
      {id, std::to_string(version)}, [&](const store::SqlRow& row) {
        issue.AddMember("incidents", row.integer(0), a);
        if (!row.is_null(1)) issue.AddMember("first_seen", ctx.str(row.text(1)), a);
        if (!row.is_null(2)) issue.AddMember("last_seen", ctx.str(row.text(2)), a);
      });
  json::Value origins(rapidjson::kArrayType);
  ctx.db.exec(
      "SELECT DISTINCT origin FROM incidents WHERE issue_id = $1 AND issue_version = $2 "
      "ORDER BY origin LIMIT 20",
      {id, std::to_string(version)},
      [&](const store::SqlRow& row) { origins.PushBack(ctx.str(row.text(0)), a); });
  issue.AddMember("incident_origins", origins, a);
}

}  // namespace

std::string issues_page(PageContext& ctx) {
  auto& a = ctx.alloc();
  std::int64_t page = ctx.int_param("page", 1, 1, 100000);
  json::Value issues(rapidjson::kArrayType);
  bool more = false;
  ctx.db.exec("SELECT " + ctx.select_list("i", kColumns) +
                  " FROM issues i ORDER BY i._timestamp DESC, i.id, i.version DESC "
                  "LIMIT $1 OFFSET $2",
              {std::to_string(kIssuesPerPage + 1), std::to_string((page - 1) * kIssuesPerPage)},
              [&](const store::SqlRow& row) {
                if (static_cast<std::int64_t>(issues.Size()) == kIssuesPerPage) {
                  more = true;
                  return;
                }
                issues.PushBack(ctx.row_object(row, 0, kColumns), a);
              });
  for (auto& issue : issues.GetArray()) {
    std::string id(json::str(issue["id"]));
    std::int64_t version = issue["version"].GetInt64();
    ctx.set(issue, "href", issue_link(ctx, id, version));
    ctx.add_href(issue, "report_url");
    add_incident_summary(ctx, issue, id, version);
  }
  if (page > 1) {
    ctx.doc.AddMember("prev_href", ctx.str(ctx.link("/issues?page=" + std::to_string(page - 1))),
                      a);
  }
  if (more) {
    ctx.doc.AddMember("next_href", ctx.str(ctx.link("/issues?page=" + std::to_string(page + 1))),
                      a);
  }
  ctx.doc.AddMember("page", page, a);
  ctx.doc.AddMember("issues", issues, a);
  return "Issues";
}

std::string issue_page(PageContext& ctx, const std::string& id) {
  auto& a = ctx.alloc();
  std::int64_t page = ctx.int_param("incidents_page", 1, 1, 100000);
  std::optional<std::int64_t> version;
  if (ctx.params.count("version")) version = ctx.int_param("version", 0, 0, 1LL << 40);
  // The version asked for, else the highest.
  json::Value issue;
  json::Value versions(rapidjson::kArrayType);
  ctx.db.exec("SELECT " + ctx.select_list("i", kColumns) +
                  " FROM issues i WHERE i.id = $1 ORDER BY i.version DESC LIMIT 100",
              {id}, [&](const store::SqlRow& row) {
                std::int64_t v = row.integer(1);
                json::Value item(rapidjson::kObjectType);
                item.AddMember("version", v, a);
                item.AddMember("href", ctx.str(issue_link(ctx, id, v)), a);
                versions.PushBack(item, a);
                if (!issue.IsObject() && (!version || *version == v)) {
                  issue = ctx.row_object(row, 0, kColumns);
                }
              });
  if (!issue.IsObject()) throw PageError{404, "No issue with id " + id};
  std::int64_t v = issue["version"].GetInt64();
  ctx.set(issue, "href", issue_link(ctx, id, v));
  ctx.add_href(issue, "report_url");
  if (issue.HasMember("misc")) {
    json::Value items = ctx.misc_items(issue["misc"]);
    issue.AddMember("misc_items", items, a);
  }
  add_incident_summary(ctx, issue, id, v);

  json::Value incidents(rapidjson::kArrayType);
  bool more = false;
  ctx.db.exec("SELECT " + ctx.select_list("n", kIncidentColumns) +
                  " FROM incidents n WHERE n.issue_id = $1 AND n.issue_version = $2 "
                  "ORDER BY n._timestamp DESC, n.id LIMIT $3 OFFSET $4",
              {id, std::to_string(v), std::to_string(kIncidentsPerPage + 1),
               std::to_string((page - 1) * kIncidentsPerPage)},
              [&](const store::SqlRow& row) {
                if (static_cast<std::int64_t>(incidents.Size()) == kIncidentsPerPage) {
                  more = true;
                  return;
                }
                json::Value n = ctx.row_object(row, 0, kIncidentColumns);
                if (!row.is_null(2))
                  ctx.set(n, "build_href", ctx.object_link("build", std::string(row.text(2))));
                if (!row.is_null(3))
                  ctx.set(n, "test_href", ctx.object_link("test", std::string(row.text(3))));
                incidents.PushBack(n, a);
              });
  std::string self = issue_link(ctx, id, v);
  if (page > 1) {
    ctx.doc.AddMember("incidents_prev_href",
                      ctx.str(self + "&incidents_page=" + std::to_string(page - 1)), a);
  }
  if (more) {
    ctx.doc.AddMember("incidents_next_href",
                      ctx.str(self + "&incidents_page=" + std::to_string(page + 1)), a);
  }
  std::string title =
      "Issue " +
      (issue.HasMember("report_subject") ? std::string(json::str(issue["report_subject"])) : id);
  ctx.doc.AddMember("issue", issue, a);
  ctx.doc.AddMember("versions", versions, a);
  ctx.doc.AddMember("incidents", incidents, a);
  return title;
}

}  // namespace kci::web
