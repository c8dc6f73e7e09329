// SPDX-License-Identifier: LGPL-2.1-or-later
#include "notify/issue_source.h"

#include <rapidjson/document.h>

#include <map>

#include "notify/build_source.h"

namespace kci::notify {
namespace {

// The platform of a test: environment_misc.platform.
std::string platform_of(std::string_view misc) {
  rapidjson::Document doc;
  doc.Parse(misc.data(), misc.size());
  if (doc.HasParseError() || !doc.IsObject()) return "";
  auto it = doc.FindMember("platform");
  return it != doc.MemberEnd() && it->value.IsString()
             ? std::string(it->value.GetString(), it->value.GetStringLength())
             : "";
}

// "boot" for a boot test (baseline.login, boot.*), "test" for another test,
// "build" for a build.
std::string kind_of(const std::string& test_id, const std::string& path) {
  if (test_id.empty()) return "build";
  if (path == "boot" || path.rfind("boot.", 0) == 0 || path == "baseline.login") return "boot";
  return "test";
}

constexpr const char* kIncidents =
    "FROM incidents n LEFT JOIN tests t ON t.id = n.test_id "
    "JOIN builds b ON b.id = COALESCE(n.build_id, t.build_id) ";

}  // namespace

std::vector<NewIssueReport> new_issue_reports_of(store::SqlConnection& sql,
                                                 const std::string& checkout_id,
                                                 const std::string& base_url,
                                                 const IssueSourceOptions& options) {
  std::vector<NewIssueReport> out;
  auto info = checkout_facts(sql, checkout_id);
  if (!info) return out;
  struct Row {
    std::string issue_id, issue_version, title;
    bool code = false;
    IssueIncident incident;
    std::string log_excerpt;
  };
  std::map<std::string, std::vector<Row>> by_issue;
  sql.exec(
      std::string("SELECT n.issue_id, CAST(n.issue_version AS TEXT), COALESCE(n.test_id, ''), "
                  "COALESCE(t.path, ''), COALESCE(CAST(t.environment_misc AS TEXT), ''), b.id, "
                  "COALESCE(b.architecture, ''), COALESCE(b.config_name, ''), "
                  "COALESCE(b.compiler, ''), "
                  "COALESCE(CAST(t.start_time AS TEXT), CAST(b.start_time AS TEXT), ''), "
                  "COALESCE(t.log_excerpt, b.log_excerpt, ''), "
                  "COALESCE(i.report_subject, n.issue_id), "
                  "CASE WHEN i.culprit_code THEN 1 ELSE 0 END ") +
          kIncidents +
          "JOIN issues i ON i.id = n.issue_id AND i.version = n.issue_version "
          "WHERE b.checkout_id = $1 AND n.issue_id LIKE 'kci:sig:%' "
          "AND (n.present IS NULL OR n.present) "
          "ORDER BY n.issue_id, 10, 6, 3",
      {checkout_id}, [&](const store::SqlRow& r) {
        Row row;
        row.issue_id = std::string(r.text(0));
        row.issue_version = std::string(r.text(1));
        std::string test_id(r.text(2)), path(r.text(3));
        row.incident.kind = kind_of(test_id, path);
        row.incident.object_id = test_id.empty() ? std::string(r.text(5)) : test_id;
        row.incident.url =
            base_url + (test_id.empty() ? "/build/" : "/test/") + row.incident.object_id;
        row.incident.platform = platform_of(r.text(4));
        row.incident.arch = std::string(r.text(6));
        row.incident.config = std::string(r.text(7));
        row.incident.compiler = std::string(r.text(8));
        row.incident.time = std::string(r.text(9));
        row.log_excerpt = std::string(r.text(10));
        row.title = std::string(r.text(11));
        row.code = r.integer(12) != 0;
        by_issue[row.issue_id].push_back(std::move(row));
      });
  for (auto& [issue_id, rows] : by_issue) {
    if (out.size() >= options.max_reports) break;
    if (!rows.front().code) continue;
    // Seen before on another checkout: not new.
    bool elsewhere = false;
    sql.exec(std::string("SELECT 1 ") + kIncidents +
                 "WHERE n.issue_id = $1 AND b.checkout_id <> $2 LIMIT 1",
             {issue_id, checkout_id}, [&](const store::SqlRow&) { elsewhere = true; });
    if (elsewhere) continue;
    NewIssueReport r;
    r.issue_id = issue_id;
    r.issue_version = rows.front().issue_version;
    r.title = rows.front().title;
    r.culprit = "code";
    r.tree = info->tree;
    r.branch = info->branch;
    r.describe = info->describe;
    r.sha = info->commit;
    r.url = info->url;
    r.checkout_id = checkout_id;
    r.details_url = base_url + "/issue/" + issue_id;
    r.first_incident = rows.front().incident;
    for (const auto& row : rows) {
      if (r.incidents.size() >= options.max_incidents) break;
      r.incidents.push_back(row.incident);
    }
    for (std::string_view line : excerpt_lines(rows.front().log_excerpt, options.max_log_lines))
      r.log_excerpt.emplace_back(line);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace kci::notify
