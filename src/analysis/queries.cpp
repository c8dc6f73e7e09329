// SPDX-License-Identifier: LGPL-2.1-or-later
#include "analysis/queries.h"

#include <algorithm>
#include <tuple>
#include <unordered_map>

#include "util/error.h"

namespace kci::analysis {

using store::SqlRow;
using store::SqlValue;

namespace {

// The identity columns, in this order, prefixed by `alias.`.
std::string identity_columns(const std::string& alias) {
  std::string out;
  for (const char* c : {"key",
                        "kind",
                        "origin",
                        "tree_name",
                        "git_repository_url",
                        "git_repository_branch",
                        "architecture",
                        "config_name",
                        "compiler",
                        "path",
                        "platform",
                        "results",
                        "pass",
                        "fail",
                        "infra",
                        "neutral",
                        "flips",
                        "last_status",
                        "unstable",
                        "summary"}) {
    if (!out.empty()) out += ", ";
    out += alias + "." + c;
  }
  return out;
}

IdentityInfo read_identity(const SqlRow& row, std::size_t at) {
  IdentityInfo info;
  info.key = row.text(at);
  Identity& id = info.identity;
  id.kind = parse_kind(row.text(at + 1));
  id.origin = row.text(at + 2);
  id.tree_name = row.text(at + 3);
  id.git_repository_url = row.text(at + 4);
  id.git_repository_branch = row.text(at + 5);
  id.architecture = row.text(at + 6);
  id.config_name = row.text(at + 7);
  id.compiler = row.text(at + 8);
  id.path = row.text(at + 9);
  id.platform = row.text(at + 10);
  info.results = row.integer(at + 11);
  info.pass = row.integer(at + 12);
  info.fail = row.integer(at + 13);
  info.infra = row.integer(at + 14);
  info.neutral = row.integer(at + 15);
  info.flips = row.integer(at + 16);
  info.last_status = row.text(at + 17);
  info.unstable = row.integer(at + 18) != 0;
  info.summary = row.text(at + 19);
  return info;
}

auto identity_order(const Identity& i) {
  return std::tie(i.path, i.platform, i.architecture, i.config_name, i.compiler, i.origin,
                  i.tree_name, i.git_repository_branch, i.git_repository_url);
}

}  // namespace

std::optional<CheckoutInfo> checkout_info(store::SqlConnection& sql, const std::string& id) {
  std::optional<CheckoutInfo> out;
  sql.exec(
      "SELECT id, origin, tree_name, git_repository_url, git_repository_branch, "
      "git_commit_hash, describe, order_time FROM analysis_checkouts WHERE id = $1",
      {id}, [&](const SqlRow& row) {
        out = CheckoutInfo{std::string(row.text(0)), std::string(row.text(1)),
                           std::string(row.text(2)), std::string(row.text(3)),
                           std::string(row.text(4)), std::string(row.text(5)),
                           std::string(row.text(6)), std::string(row.text(7))};
      });
  return out;
}

CompareResult compare(store::SqlConnection& sql, const std::string& a, const std::string& b,
                      Kind kind) {
  for (const auto& id : {a, b})
    if (!checkout_info(sql, id))
      throw InvalidInputError("checkout '" + id +
                              "' is not in the analysis (unknown, or run `kci analyze`)");
  CompareResult out;
  out.a = a;
  out.b = b;
  out.kind = kind;
  struct Best {
    std::string start_time, id, status;
  };
  struct Entry {
    std::optional<Best> a, b;
  };
  // The two checkouts' results, without their identities' fields: most
  // identities are unchanged and never listed, so the fields are read for
  // the listed ones only (a join for every row cost most of the time).
  std::unordered_map<std::string, Entry> by_key;
  by_key.reserve(1024);
  sql.exec(
      "SELECT checkout_id, object_id, status, start_time, identity_key FROM analysis_results "
      "WHERE checkout_id IN ($1, $2) AND kind = $3",
      {a, b, kind_name(kind)}, [&](const SqlRow& row) {
        Entry& e = by_key[std::string(row.text(4))];
        auto& side = row.text(0) == a ? e.a : e.b;
        std::string_view start = row.text(3), id = row.text(1);
        // Both sides as string_view: comparing tuples of different types
        // compiles with GCC but not with clang's libstdc++ C++20 mode.
        if (!side || std::tuple<std::string_view, std::string_view>(side->start_time, side->id) <
                         std::tuple<std::string_view, std::string_view>(start, id))
          side = Best{std::string(start), std::string(id), std::string(row.text(2))};
        // A checkout compared with itself: both sides.
        if (a == b) e.b = e.a;
      });
  std::map<std::string, std::pair<Category, CompareItem>> listed;
  for (auto& [key, e] : by_key) {
    std::optional<std::string> sa, sb;
    if (e.a) sa = e.a->status;
    if (e.b) sb = e.b->status;
    Category c = categorize(sa, sb);
    if (c == Category::kUnchanged) continue;
    CompareItem item;
    item.key = key;
    if (e.a) item.a = CompareSide{e.a->id, e.a->status};
    if (e.b) item.b = CompareSide{e.b->id, e.b->status};
    listed.emplace(key, std::pair{c, std::move(item)});
  }
  std::vector<std::string> keys;
  keys.reserve(listed.size());
  for (const auto& [key, item] : listed) keys.push_back(key);
  constexpr std::size_t kChunk = 500;
  for (std::size_t i = 0; i < keys.size(); i += kChunk) {
    std::size_t n = std::min(kChunk, keys.size() - i);
    std::string in;
    std::vector<SqlValue> params;
    for (std::size_t j = 0; j < n; ++j) {
      in += (j ? ",$" : "$") + std::to_string(j + 1);
      params.push_back(keys[i + j]);
    }
    sql.exec("SELECT " + identity_columns("i") + " FROM analysis_identities i WHERE i.key IN (" +
                 in + ")",
             params, [&](const SqlRow& row) {
               IdentityInfo info = read_identity(row, 0);
               auto it = listed.find(info.key);
               if (it != listed.end()) it->second.second.identity = std::move(info.identity);
             });
  }
  for (auto& [key, entry] : listed) {
    entry.second.identity.kind = kind;
    out.items[entry.first].push_back(std::move(entry.second));
  }
  for (auto& [c, list] : out.items)
    std::sort(list.begin(), list.end(), [](const CompareItem& x, const CompareItem& y) {
      auto ox = identity_order(x.identity), oy = identity_order(y.identity);
      if (ox != oy) return ox < oy;
      return x.key < y.key;
    });
  return out;
}

std::vector<RegressionInfo> regressions(store::SqlConnection& sql, const RegressionFilter& f) {
  std::string where;
  std::vector<SqlValue> params;
  auto cond = [&](const std::string& text, const std::optional<std::string>& value) {
    if (!value) return;
    params.push_back(*value);
    where += (where.empty() ? " WHERE " : " AND ") + text + " = $" + std::to_string(params.size());
  };
  if (!f.all)
    where = f.unreported ? " WHERE g.active = 1" : " WHERE g.active = 1 AND g.reported = 1";
  cond("g.tree_name", f.tree);
  cond("g.last_fail_checkout", f.last_fail_checkout);
  cond("g.git_repository_branch", f.branch);
  cond("g.identity_key", f.identity_key);
  cond("i.origin", f.origin);
  std::vector<RegressionInfo> out;
  sql.exec(
      "SELECT g.id, g.active, g.unstable, g.reported, g.fail_count, g.failing_since_days, "
      "g.last_pass_id, g.last_pass_checkout, lp.describe, lp.order_time, g.first_fail_id, "
      "g.first_fail_checkout, ff.describe, ff.order_time, g.last_fail_id, g.last_fail_checkout, "
      "lf.describe, lf.order_time, g.fixed_by_id, g.fixed_by_checkout, fx.describe, "
      "fx.order_time, g.summary, " +
          identity_columns("i") +
          " FROM analysis_regressions g JOIN analysis_identities i ON i.key = g.identity_key "
          "LEFT JOIN analysis_checkouts lp ON lp.id = g.last_pass_checkout "
          "LEFT JOIN analysis_checkouts ff ON ff.id = g.first_fail_checkout "
          "LEFT JOIN analysis_checkouts lf ON lf.id = g.last_fail_checkout "
          "LEFT JOIN analysis_checkouts fx ON fx.id = g.fixed_by_checkout" +
          where,
      params, [&](const SqlRow& row) {
        RegressionInfo r;
        r.id = row.text(0);
        r.active = row.integer(1) != 0;
        r.unstable = row.integer(2) != 0;
        r.reported = row.integer(3) != 0;
        r.fail_count = row.integer(4);
        r.failing_since_days = row.integer(5);
        auto point = [&](std::size_t at) {
          return PointInfo{std::string(row.text(at)), std::string(row.text(at + 1)),
                           std::string(row.text(at + 2)), std::string(row.text(at + 3))};
        };
        r.last_pass = point(6);
        r.first_fail = point(10);
        r.last_fail = point(14);
        if (!row.is_null(18)) r.fixed_by = point(18);
        r.summary = row.text(22);
        r.identity = read_identity(row, 23);
        out.push_back(std::move(r));
      });
  std::sort(out.begin(), out.end(), [](const RegressionInfo& x, const RegressionInfo& y) {
    const Identity& a = x.identity.identity;
    const Identity& b = y.identity.identity;
    auto px = std::tie(a.tree_name, a.git_repository_branch, x.first_fail.time);
    auto py = std::tie(b.tree_name, b.git_repository_branch, y.first_fail.time);
    if (px != py) return px < py;
    auto ox = identity_order(a), oy = identity_order(b);
    if (ox != oy) return ox < oy;
    return x.id < y.id;
  });
  return out;
}

std::vector<IdentityInfo> find_identities(store::SqlConnection& sql, const IdentityQuery& q,
                                          std::size_t limit) {
  std::string where = " WHERE i.kind = $1";
  std::vector<SqlValue> params{kind_name(q.kind)};
  auto cond = [&](const char* column, const std::optional<std::string>& value) {
    if (!value) return;
    params.push_back(*value);
    where += std::string(" AND i.") + column + " = $" + std::to_string(params.size());
  };
  cond("origin", q.origin);
  cond("tree_name", q.tree);
  cond("git_repository_branch", q.branch);
  cond("architecture", q.architecture);
  cond("config_name", q.config_name);
  cond("compiler", q.compiler);
  cond("path", q.path);
  cond("platform", q.platform);
  params.push_back(std::to_string(limit));
  std::vector<IdentityInfo> out;
  sql.exec("SELECT " + identity_columns("i") + " FROM analysis_identities i" + where +
               " ORDER BY i.key LIMIT $" + std::to_string(params.size()),
           params, [&](const SqlRow& row) { out.push_back(read_identity(row, 0)); });
  std::sort(out.begin(), out.end(), [](const IdentityInfo& x, const IdentityInfo& y) {
    auto ox = identity_order(x.identity), oy = identity_order(y.identity);
    if (ox != oy) return ox < oy;
    return x.key < y.key;
  });
  return out;
}

std::optional<IdentityInfo> identity_by_key(store::SqlConnection& sql, const std::string& key) {
  std::optional<IdentityInfo> out;
  sql.exec("SELECT " + identity_columns("i") + " FROM analysis_identities i WHERE i.key = $1",
           {key}, [&](const SqlRow& row) { out = read_identity(row, 0); });
  return out;
}

std::optional<IdentityInfo> identity_of(store::SqlConnection& sql, Kind kind,
                                        const std::string& object_id) {
  std::optional<IdentityInfo> out;
  sql.exec("SELECT " + identity_columns("i") +
               " FROM analysis_results r JOIN analysis_identities i ON i.key = r.identity_key "
               "WHERE r.kind = $1 AND r.object_id = $2",
           {kind_name(kind), object_id}, [&](const SqlRow& row) { out = read_identity(row, 0); });
  return out;
}

HistoryResult history(store::SqlConnection& sql, const IdentityInfo& identity) {
  HistoryResult out;
  out.identity = identity;
  sql.exec(
      "SELECT r.order_time, r.checkout_id, r.start_time, r.object_id, r.status, c.describe, "
      "r.order_key FROM analysis_results r JOIN analysis_checkouts c ON c.id = r.checkout_id "
      "WHERE r.identity_key = $1",
      {identity.key}, [&](const SqlRow& row) {
        out.entries.push_back(HistoryEntry{std::string(row.text(0)), std::string(row.text(1)),
                                           std::string(row.text(2)), std::string(row.text(3)),
                                           std::string(row.text(4)), std::string(row.text(5)),
                                           std::string(row.text(6))});
      });
  std::sort(out.entries.begin(), out.entries.end(), history_less);
  RegressionFilter f;
  f.identity_key = identity.key;
  f.all = true;
  out.regressions = regressions(sql, f);
  return out;
}

std::optional<CheckoutSummary> summary(store::SqlConnection& sql, const std::string& checkout_id) {
  auto info = checkout_info(sql, checkout_id);
  if (!info) return std::nullopt;
  CheckoutSummary out;
  out.checkout = *info;
  std::map<std::tuple<std::string, std::string, std::string, std::string, std::string, std::string>,
           std::map<std::string, long long>>
      groups;
  sql.exec(
      "SELECT kind, platform, architecture, lab, compiler, config_name, status, count FROM "
      "analysis_summary WHERE checkout_id = $1",
      {checkout_id}, [&](const SqlRow& row) {
        std::string kind(row.text(0)), status(row.text(6));
        long long n = row.integer(7);
        out.counts[kind][status] += n;
        if (kind == "build") return;
        groups[{kind, std::string(row.text(1)), std::string(row.text(2)), std::string(row.text(3)),
                std::string(row.text(4)), std::string(row.text(5))}][status] += n;
      });
  for (auto& [k, statuses] : groups) {
    SummaryGroup g;
    std::tie(g.kind, g.platform, g.architecture, g.lab, g.compiler, g.config_name) = k;
    g.statuses = std::move(statuses);
    out.groups.push_back(std::move(g));
  }
  return out;
}

}  // namespace kci::analysis
