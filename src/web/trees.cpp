// SPDX-License-Identifier: LGPL-2.1-or-later
// Page 1, trees: per tree/branch (and origin), its latest checkout in the
// window with its builds' and tests' counts.
#include <chrono>
#include <set>
#include <tuple>

#include "util/time.h"
#include "web/html.h"
#include "web/page.h"

namespace kci::web {

namespace {

const std::vector<Column> kCheckoutColumns = {
    {"id", Col::kText},
    {"origin", Col::kText},
    {"tree_name", Col::kText},
    {"git_repository_url", Col::kText},
    {"git_repository_branch", Col::kText},
    {"git_commit_hash", Col::kText},
    {"git_commit_name", Col::kText},
    {"start_time", Col::kTime},
};

constexpr std::int64_t kTreesPerPage = 100;
// At most this many checkouts of the window are read (newest first).
constexpr std::int64_t kMaxWindowCheckouts = 20000;

json::Value counts_object(PageContext& ctx, const StatusCounts& c, bool tests) {
  json::Value o(rapidjson::kObjectType);
  o.AddMember("pass", c.pass, ctx.alloc());
  o.AddMember("fail", c.fail, ctx.alloc());
  if (tests) {
    o.AddMember("skip", c.skip, ctx.alloc());
    o.AddMember("other", c.other(), ctx.alloc());
  } else {
    o.AddMember("other", c.other() + c.skip, ctx.alloc());
  }
  o.AddMember("total", c.total(), ctx.alloc());
  return o;
}

}  // namespace

json::Value checkout_counts_json(PageContext& ctx, const std::string& checkout_id) {
  CheckoutCounts c = ctx.counts.counts(ctx.db, checkout_id);
  json::Value o(rapidjson::kObjectType);
  o.AddMember("builds", counts_object(ctx, c.builds, false), ctx.alloc());
  o.AddMember("tests", counts_object(ctx, c.tests, true), ctx.alloc());
  return o;
}

std::string trees_page(PageContext& ctx) {
  std::int64_t days = ctx.int_param("days", 14, 1, 3650);
  std::int64_t page = ctx.int_param("page", 1, 1, 100000);
  std::string origin = ctx.param("origin");
  std::string q = ctx.param("q");
  if (q.size() > 200) throw PageError{400, "the search text is longer than 200 characters"};
  json::Document& doc = ctx.doc;
  auto& a = ctx.alloc();

  std::string since = format_rfc3339(ctx.options.now() - std::chrono::hours(24 * days));
  std::string sql = "SELECT " + ctx.select_list("c", kCheckoutColumns) +
                    " FROM checkouts c WHERE c.start_time >= $1";
  std::vector<store::SqlValue> params = {since};
  if (!origin.empty()) {
    params.push_back(origin);
    sql += " AND c.origin = $" + std::to_string(params.size());
  }
  if (!q.empty()) {
    params.push_back(q);
    std::string p = "$" + std::to_string(params.size());
    const char* pos = ctx.postgres() ? "strpos" : "instr";
    sql += std::string(" AND (") + pos + "(c.tree_name, " + p + ") > 0 OR " + pos +
           "(c.git_repository_branch, " + p + ") > 0 OR " + pos + "(c.git_repository_url, " + p +
           ") > 0 OR substr(c.git_commit_hash, 1, length(" + p + ")) = " + p +
           " OR substr(c.git_commit_name, 1, length(" + p + ")) = " + p + " OR c.id = " + p + ")";
  }
  sql += " ORDER BY c.start_time DESC LIMIT " + std::to_string(kMaxWindowCheckouts);

  json::Value trees(rapidjson::kArrayType);
  std::set<std::tuple<std::string, std::string, std::string, std::string>> seen;
  std::set<std::string> origins;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, std::int64_t>
      checkouts_per_tree;
  std::vector<json::Value> latest;
  std::vector<std::tuple<std::string, std::string, std::string, std::string>> latest_keys;
  ctx.db.exec(sql, params, [&](const store::SqlRow& row) {
    auto key = std::make_tuple(std::string(row.text(1)), std::string(row.text(2)),
                               std::string(row.text(3)), std::string(row.text(4)));
    origins.insert(std::get<0>(key));
    ++checkouts_per_tree[key];
    if (!seen.insert(key).second) return;
    latest.push_back(ctx.row_object(row, 0, kCheckoutColumns));
    latest_keys.push_back(key);
  });

  std::int64_t total = static_cast<std::int64_t>(latest.size());
  std::int64_t first = (page - 1) * kTreesPerPage;
  for (std::int64_t i = first; i < total && i < first + kTreesPerPage; ++i) {
    json::Value& row = latest[static_cast<std::size_t>(i)];
    std::string id(json::str(row["id"]));
    ctx.set(row, "href", ctx.object_link("checkout", id));
    ctx.add_href(row, "git_repository_url");
    json::Value counts = checkout_counts_json(ctx, id);
    row.AddMember("builds", json::Value(counts["builds"], a), a);
    row.AddMember("tests", json::Value(counts["tests"], a), a);
    row.AddMember("checkouts_in_window",
                  checkouts_per_tree[latest_keys[static_cast<std::size_t>(i)]], a);
    {
      auto member = [&](const char* name) {
        auto it = row.FindMember(name);
        return it != row.MemberEnd() && it->value.IsString() ? std::string(json::str(it->value))
                                                             : std::string();
      };
      ctx.set(row, "tree_href",
              ctx.link("/tree?tree=" + url_encode(member("tree_name")) +
                       "&branch=" + url_encode(member("git_repository_branch")) +
                       "&origin=" + url_encode(member("origin"))));
    }
    auto commit = row.FindMember("git_commit_hash");
    if (commit != row.MemberEnd() && commit->value.IsString()) {
      std::string_view h = json::str(commit->value);
      row.AddMember("commit_short", ctx.str(h.substr(0, 12)), a);
    }
    trees.PushBack(row, a);
  }

  // An exact object id: link straight to it.
  json::Value found(rapidjson::kArrayType);
  if (!q.empty()) {
    for (const char* kind : {"checkout", "build", "test"}) {
      std::string table = std::string(kind) + "s";
      ctx.db.exec("SELECT id FROM " + table + " WHERE id = $1", {q}, [&](const store::SqlRow&) {
        json::Value f(rapidjson::kObjectType);
        f.AddMember("kind", json::Value(kind, a), a);
        f.AddMember("id", ctx.str(q), a);
        f.AddMember("href", ctx.str(ctx.object_link(kind, q)), a);
        found.PushBack(f, a);
      });
    }
  }

  json::Value origin_list(rapidjson::kArrayType);
  if (!origin.empty()) origins.insert(origin);
  for (const std::string& o : origins) {
    json::Value item(rapidjson::kObjectType);
    item.AddMember("name", ctx.str(o), a);
    item.AddMember("selected", o == origin, a);
    origin_list.PushBack(item, a);
  }

  doc.AddMember("days", days, a);
  doc.AddMember("origin", ctx.str(origin), a);
  doc.AddMember("q", ctx.str(q), a);
  doc.AddMember("since", ctx.str(since), a);
  doc.AddMember("origins", origin_list, a);
  doc.AddMember("found", found, a);
  doc.AddMember("trees_total", total, a);
  doc.AddMember("trees", trees, a);
  std::string base = "/?days=" + std::to_string(days) +
                     (origin.empty() ? "" : "&origin=" + url_encode(origin)) +
                     (q.empty() ? "" : "&q=" + url_encode(q));
  doc.AddMember("page", page, a);
  if (page > 1) {
    doc.AddMember("prev_href", ctx.str(ctx.link(base + "&page=" + std::to_string(page - 1))), a);
  }
  if (first + kTreesPerPage < total) {
    doc.AddMember("next_href", ctx.str(ctx.link(base + "&page=" + std::to_string(page + 1))), a);
  }
  return "Trees";
}

}  // namespace kci::web
