// SPDX-License-Identifier: LGPL-2.1-or-later
// Page 9, the bisections of the bisections table (src/bisect, read here
// over SQL): a list (newest first, filterable by state) and a detail page
// with the regression it ran for, its steps, checks, `git bisect log` and
// culprit. A database where no bisection ever ran has no table: the list
// is empty.
#include <chrono>

#include "util/time.h"
#include "web/html.h"
#include "web/page.h"

namespace kci::web {

namespace {

constexpr std::int64_t kPerPage = 100;

std::string epoch_text(std::int64_t seconds) {
  if (seconds <= 0) return {};
  return format_rfc3339(std::chrono::system_clock::time_point(std::chrono::seconds(seconds)));
}

// Columns 0..10 of kListColumns as JSON.
constexpr const char* kListColumns =
    "b.id, b.state, b.status, b.culprit, b.identity_key, b.last_pass_checkout, "
    "b.first_fail_checkout, b.regression_id, b.queued_at, b.finished_at, b.issue_id, "
    "i.path, i.platform, i.tree_name, i.git_repository_branch, i.architecture, i.config_name";

json::Value row_json(PageContext& ctx, const store::SqlRow& row) {
  auto& a = ctx.alloc();
  json::Value o(rapidjson::kObjectType);
  std::string id = std::to_string(row.integer(0));
  ctx.set(o, "id", id);
  ctx.set(o, "href", ctx.object_link("bisection", id));
  ctx.set(o, "state", row.text(1));
  ctx.set(o, "result_status", row.text(2));
  ctx.set(o, "culprit", row.text(3));
  ctx.set(o, "culprit_short", row.text(3).substr(0, 12));
  ctx.set(o, "identity_key", row.text(4));
  ctx.set(o, "last_pass_checkout", row.text(5));
  ctx.set(o, "last_pass_href", ctx.object_link("checkout", std::string(row.text(5))));
  ctx.set(o, "first_fail_checkout", row.text(6));
  ctx.set(o, "first_fail_href", ctx.object_link("checkout", std::string(row.text(6))));
  ctx.set(o, "regression_id", row.text(7));
  ctx.set(o, "queued_time", epoch_text(row.integer(8)));
  std::string finished = epoch_text(row.integer(9));
  if (!finished.empty()) ctx.set(o, "finished_time", finished);
  std::string issue(row.text(10));
  if (!issue.empty()) {
    ctx.set(o, "issue_id", issue);
    ctx.set(o, "issue_href", ctx.object_link("issue", issue));
  }
  if (!row.is_null(11)) {
    ctx.set(o, "path", row.text(11));
    ctx.set(o, "platform", row.text(12));
    ctx.set(o, "tree_name", row.text(13));
    ctx.set(o, "git_repository_branch", row.text(14));
    ctx.set(o, "architecture", row.text(15));
    ctx.set(o, "config_name", row.text(16));
  }
  (void)a;
  return o;
}

std::string from_clause(PageContext& ctx) {
  return table_exists(ctx, "analysis_identities")
             ? " FROM bisections b LEFT JOIN analysis_identities i ON i.key = b.identity_key"
             : " FROM bisections b LEFT JOIN (SELECT NULL AS key, NULL AS path, NULL AS "
               "platform, NULL AS tree_name, NULL AS git_repository_branch, NULL AS "
               "architecture, NULL AS config_name) i ON i.key = b.identity_key";
}

}  // namespace

std::string bisections_page(PageContext& ctx) {
  auto& a = ctx.alloc();
  std::string state = ctx.param("state");
  if (!state.empty() && state != "queued" && state != "running" && state != "done" &&
      state != "failed") {
    throw PageError{400, "parameter state must be queued, running, done or failed"};
  }
  std::int64_t page = ctx.int_param("page", 1, 1, 100000);
  json::Value rows(rapidjson::kArrayType);
  bool more = false;
  if (table_exists(ctx, "bisections")) {
    ctx.db.exec(std::string("SELECT ") + kListColumns + from_clause(ctx) +
                    " WHERE ($1 = '' OR b.state = $1) ORDER BY b.id DESC LIMIT $2 OFFSET $3",
                {state, std::to_string(kPerPage + 1), std::to_string((page - 1) * kPerPage)},
                [&](const store::SqlRow& row) {
                  if (static_cast<std::int64_t>(rows.Size()) == kPerPage) {
                    more = true;
                    return;
                  }
                  rows.PushBack(row_json(ctx, row), a);
                });
  }
  json::Value states(rapidjson::kArrayType);
  for (const char* s : {"queued", "running", "done", "failed"}) {
    json::Value o(rapidjson::kObjectType);
    ctx.set(o, "name", s);
    o.AddMember("selected", state == s, a);
    states.PushBack(o, a);
  }
  ctx.set(ctx.doc, "state", state);
  ctx.doc.AddMember("states", states, a);
  ctx.doc.AddMember("page", page, a);
  ctx.doc.AddMember("bisections", rows, a);
  std::string base = "/bisections?state=" + url_encode(state) + "&page=";
  if (page > 1) ctx.set(ctx.doc, "prev_href", ctx.link(base + std::to_string(page - 1)));
  if (more) ctx.set(ctx.doc, "next_href", ctx.link(base + std::to_string(page + 1)));
  return "Bisections";
}

std::string bisection_page(PageContext& ctx, const std::string& id) {
  auto& a = ctx.alloc();
  std::int64_t n = 0;
  for (char c : id) {
    if (c < '0' || c > '9' || n > 1'000'000'000'000LL) throw PageError{404, "No bisection " + id};
    n = n * 10 + (c - '0');
  }
  json::Value b;
  if (table_exists(ctx, "bisections")) {
    ctx.db.exec(std::string("SELECT ") + kListColumns +
                    ", b.worker, b.attempts, b.started_at, b.error, b.result, b.request" +
                    from_clause(ctx) + " WHERE b.id = $1",
                {std::to_string(n)}, [&](const store::SqlRow& row) {
                  b = row_json(ctx, row);
                  ctx.set(b, "worker", row.text(17));
                  b.AddMember("attempts", row.integer(18), a);
                  std::string started = epoch_text(row.integer(19));
                  if (!started.empty()) ctx.set(b, "started_time", started);
                  if (!row.text(20).empty()) ctx.set(b, "error", row.text(20));
                  for (int c : {21, 22}) {
                    json::Document parsed;
                    std::string_view t = row.text(c);
                    parsed.Parse(t.data(), t.size());
                    if (parsed.HasParseError() || !parsed.IsObject()) continue;
                    json::Value v;
                    v.CopyFrom(parsed, a);
                    ctx.set(b, c == 21 ? "result" : "request", std::move(v));
                  }
                });
  }
  if (!b.IsObject()) throw PageError{404, "No bisection " + id};
  // Steps: the runs as one text, the verdict as a status class.
  if (b.HasMember("result") && b["result"].HasMember("steps") && b["result"]["steps"].IsArray()) {
    for (auto& s : b["result"]["steps"].GetArray()) {
      if (!s.IsObject()) continue;
      std::string runs;
      if (s.HasMember("runs") && s["runs"].IsArray()) {
        for (const auto& r : s["runs"].GetArray()) {
          if (!r.IsString()) continue;
          runs += (runs.empty() ? "" : " ") + std::string(json::str(r));
        }
      }
      ctx.set(s, "runs_text", runs);
      std::string verdict = s.HasMember("verdict") && s["verdict"].IsString()
                                ? std::string(json::str(s["verdict"]))
                                : "";
      ctx.set(s, "verdict_class", verdict == "good" ? "pass" : verdict == "bad" ? "fail" : "skip");
      if (s.HasMember("commit") && s["commit"].IsString()) {
        ctx.set(s, "commit_short", json::str(s["commit"]).substr(0, 12));
      }
    }
  }
  ctx.doc.AddMember("bisection", b, a);
  return "Bisection " + id;
}

}  // namespace kci::web
