// SPDX-License-Identifier: LGPL-2.1-or-later
#include "analysis/analyzer.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "analysis/identity.h"
#include "analysis/schema.h"

namespace kci::analysis {

using store::SqlRow;
using store::SqlValue;

std::string UpdateStats::describe() const {
  return std::to_string(results) + " results, " + std::to_string(identities) + " identities, " +
         std::to_string(checkouts) + " checkout summaries";
}

namespace {

constexpr std::size_t kIdsPerQuery = 500;
// Rows per INSERT: many for PostgreSQL (each statement is a round trip),
// few for SQLite (in-process; long parameter lists cost more than calls).
std::size_t rows_per_insert(const store::SqlConnection& sql) {
  return sql.driver() == store::Driver::kSqlite ? 8 : 200;
}

std::string placeholders(std::size_t first, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    if (i) s += ',';
    s += '$';
    s += std::to_string(first + i);
  }
  return s;
}

// Calls f(chunk) for slices of at most n items.
template <typename T, typename F>
void for_chunks(const std::vector<T>& items, std::size_t n, F&& f) {
  for (std::size_t i = 0; i < items.size(); i += n) {
    std::vector<T> chunk(
        items.begin() + static_cast<std::ptrdiff_t>(i),
        items.begin() + static_cast<std::ptrdiff_t>(std::min(items.size(), i + n)));
    f(chunk);
  }
}

// INSERT of many rows, `columns` values each, in statements of up to
// kRowsPerInsert rows; `tail` follows the VALUES list (ON CONFLICT ...).
void insert_rows(store::SqlConnection& sql, const std::string& head, std::size_t columns,
                 const std::vector<std::vector<SqlValue>>& rows, const std::string& tail = "") {
  for_chunks(rows, rows_per_insert(sql), [&](const std::vector<std::vector<SqlValue>>& chunk) {
    std::string text = head + " VALUES ";
    std::vector<SqlValue> params;
    params.reserve(chunk.size() * columns);
    for (std::size_t r = 0; r < chunk.size(); ++r) {
      if (r) text += ',';
      text += '(' + placeholders(params.size() + 1, columns) + ')';
      for (const auto& v : chunk[r]) params.push_back(v);
    }
    text += tail;
    sql.exec(text, params);
  });
}

struct CheckoutRow {
  std::string id, origin, tree_name, url, branch, hash, describe, order_time;
  bool operator==(const CheckoutRow&) const = default;
  std::vector<SqlValue> values() const {
    return {id, origin, tree_name, url, branch, hash, describe, order_time};
  }
};

CheckoutRow checkout_row(const report::Checkout& c) {
  CheckoutRow row;
  row.id = c.id.value_or("");
  row.origin = c.origin.value_or("");
  row.tree_name = c.tree_name.value_or("");
  row.url = c.git_repository_url.value_or("");
  row.branch = c.git_repository_branch.value_or("");
  row.hash = c.git_commit_hash.value_or("");
  row.describe = c.git_commit_name.value_or(c.git_commit_hash.value_or(row.id));
  row.order_time = normalize_time(c.start_time);
  return row;
}

const char* const kCheckoutColumns =
    "INSERT INTO analysis_checkouts (id, origin, tree_name, git_repository_url, "
    "git_repository_branch, git_commit_hash, describe, order_time)";
const char* const kCheckoutUpsert =
    " ON CONFLICT (id) DO UPDATE SET origin = excluded.origin, tree_name = excluded.tree_name, "
    "git_repository_url = excluded.git_repository_url, git_repository_branch = "
    "excluded.git_repository_branch, git_commit_hash = excluded.git_commit_hash, describe = "
    "excluded.describe, order_time = excluded.order_time";

struct ResultRow {
  Kind kind = Kind::kTest;
  std::string object_id, identity_key, checkout_id, order_time, start_time, status, lab;
  std::string order_key;  // the checkout's (git_order.h)
  bool same_stored(const ResultRow& o) const {
    return identity_key == o.identity_key && checkout_id == o.checkout_id &&
           order_time == o.order_time && start_time == o.start_time && status == o.status &&
           lab == o.lab && order_key == o.order_key;
  }
  std::vector<SqlValue> values() const {
    return {kind_name(kind), object_id, identity_key, checkout_id, order_time,
            start_time,      status,    lab,          order_key};
  }
};

const char* const kResultColumns =
    "INSERT INTO analysis_results (kind, object_id, identity_key, checkout_id, order_time, "
    "start_time, status, lab, order_key)";
const char* const kResultUpsert =
    " ON CONFLICT (kind, object_id) DO UPDATE SET identity_key = excluded.identity_key, "
    "checkout_id = excluded.checkout_id, order_time = excluded.order_time, start_time = "
    "excluded.start_time, status = excluded.status, lab = excluded.lab, order_key = "
    "excluded.order_key";

ResultRow build_row(const report::Build& b, const report::Checkout& c, const CheckoutRow& cr,
                    Identity& identity) {
  identity = build_identity(c, b);
  ResultRow row;
  row.kind = Kind::kBuild;
  row.object_id = b.id.value_or("");
  row.identity_key = identity.key();
  row.checkout_id = cr.id;
  row.order_time = cr.order_time;
  row.start_time = normalize_time(b.start_time);
  row.status = b.status.value_or("");
  return row;
}

ResultRow test_row(const report::Test& t, const report::Build& b, const report::Checkout& c,
                   const CheckoutRow& cr, Identity& identity) {
  identity = test_identity(c, b, t);
  ResultRow row;
  row.kind = Kind::kTest;
  row.object_id = t.id.value_or("");
  row.identity_key = identity.key();
  row.checkout_id = cr.id;
  row.order_time = cr.order_time;
  row.start_time = normalize_time(t.start_time);
  row.status = t.status.value_or("");
  row.lab = lab_of(t);
  return row;
}

std::vector<SqlValue> identity_values(const std::string& key, const Identity& id,
                                      const IdentityAnalysis& a, std::size_t results,
                                      const HistoryState& state) {
  return {key,
          kind_name(id.kind),
          id.origin,
          id.tree_name,
          id.git_repository_url,
          id.git_repository_branch,
          id.architecture,
          id.config_name,
          id.compiler,
          id.path,
          id.platform,
          std::to_string(results),
          std::to_string(a.pass),
          std::to_string(a.fail),
          std::to_string(a.infra),
          std::to_string(a.neutral),
          a.last_status,
          a.unstable ? "1" : "0",
          std::to_string(a.flips),
          a.summary,
          state_to_json(state)};
}

const char* const kIdentityColumns =
    "INSERT INTO analysis_identities (key, kind, origin, tree_name, git_repository_url, "
    "git_repository_branch, architecture, config_name, compiler, path, platform, results, pass, "
    "fail, infra, neutral, last_status, unstable, flips, summary, state)";
const char* const kIdentityUpsert =
    " ON CONFLICT (key) DO UPDATE SET results = excluded.results, pass = excluded.pass, fail = "
    "excluded.fail, infra = excluded.infra, neutral = excluded.neutral, last_status = "
    "excluded.last_status, unstable = excluded.unstable, flips = excluded.flips, summary = "
    "excluded.summary, state = excluded.state";

std::vector<SqlValue> regression_values(const Regression& r, const Identity& id) {
  auto flag = [](bool b) { return std::string(b ? "1" : "0"); };
  SqlValue fixed_id, fixed_checkout;
  if (r.fixed_by) {
    fixed_id = r.fixed_by->object_id;
    fixed_checkout = r.fixed_by->checkout_id;
  }
  return {r.id,
          r.id.substr(0, r.id.find('/')),
          id.tree_name,
          id.git_repository_branch,
          flag(r.active),
          flag(r.reported),
          flag(r.unstable),
          std::to_string(r.fail_count),
          std::to_string(r.failing_since_days),
          r.last_pass.object_id,
          r.last_pass.checkout_id,
          r.first_fail.object_id,
          r.first_fail.checkout_id,
          r.last_fail.object_id,
          r.last_fail.checkout_id,
          fixed_id,
          fixed_checkout,
          r.first_fail.time,
          r.summary};
}

const char* const kRegressionColumns =
    "INSERT INTO analysis_regressions (id, identity_key, tree_name, git_repository_branch, "
    "active, reported, unstable, fail_count, failing_since_days, last_pass_id, "
    "last_pass_checkout, first_fail_id, first_fail_checkout, last_fail_id, last_fail_checkout, "
    "fixed_by_id, fixed_by_checkout, first_fail_time, summary)";
const char* const kRegressionUpsert =
    " ON CONFLICT (id) DO UPDATE SET active = excluded.active, reported = excluded.reported, "
    "unstable = excluded.unstable, fail_count = excluded.fail_count, failing_since_days = "
    "excluded.failing_since_days, last_fail_id = excluded.last_fail_id, last_fail_checkout = "
    "excluded.last_fail_checkout, fixed_by_id = excluded.fixed_by_id, fixed_by_checkout = "
    "excluded.fixed_by_checkout, summary = excluded.summary";

// Per-checkout summary rows, computed by the database from the result rows.
std::string summary_insert(const std::string& where) {
  return "INSERT INTO analysis_summary (checkout_id, kind, platform, architecture, lab, "
         "compiler, config_name, status, count) SELECT r.checkout_id, CASE WHEN r.kind = 'build' "
         "THEN 'build' WHEN i.path = 'boot' OR i.path LIKE 'boot.%' THEN 'boot' ELSE 'test' END, "
         "i.platform, i.architecture, r.lab, i.compiler, i.config_name, r.status, COUNT(*) FROM "
         "analysis_results r JOIN analysis_identities i ON i.key = r.identity_key " +
         where + " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8";
}

// Reads the history of the given identities: key -> entries in order.
std::map<std::string, std::vector<HistoryEntry>> read_histories(
    store::SqlConnection& sql, const std::vector<std::string>& keys) {
  std::map<std::string, std::vector<HistoryEntry>> out;
  for_chunks(keys, kIdsPerQuery, [&](const std::vector<std::string>& chunk) {
    std::vector<SqlValue> params(chunk.begin(), chunk.end());
    sql.exec(
        "SELECT r.identity_key, r.order_time, r.checkout_id, r.start_time, r.object_id, "
        "r.status, c.describe, r.order_key FROM analysis_results r JOIN analysis_checkouts c ON "
        "c.id = r.checkout_id WHERE r.identity_key IN (" +
            placeholders(1, chunk.size()) + ")",
        params, [&](const SqlRow& row) {
          HistoryEntry e;
          e.order_key = row.text(7);
          e.order_time = row.text(1);
          e.checkout_id = row.text(2);
          e.start_time = row.text(3);
          e.object_id = row.text(4);
          e.status = row.text(5);
          e.describe = row.text(6);
          out[std::string(row.text(0))].push_back(std::move(e));
        });
  });
  for (auto& [key, entries] : out) std::sort(entries.begin(), entries.end(), history_less);
  return out;
}

// One tree/branch whose checkouts are ordered by git ancestry.
struct BranchName {
  std::string tree_name, url, branch;
  auto operator<=>(const BranchName&) const = default;
};

// Orders the checkouts of each branch (git_order.h) and writes the keys
// that changed to the checkouts and their result rows. `fresh`: the ids
// whose key is not known (new, or commit/time changed); every checkout if
// `all`. Returns the identities whose results moved in the order.
std::set<std::string> order_by_git(store::SqlConnection& sql, const Repositories& repos,
                                   std::map<std::string, std::unique_ptr<GitRepo>>& git,
                                   const std::set<BranchName>& branches,
                                   const std::set<std::string>& fresh, bool all) {
  std::set<std::string> moved;
  for (const auto& b : branches) {
    auto path = repos.find(b.url, b.tree_name);
    if (!path) continue;
    auto& repo = git[*path];
    if (!repo) repo = std::make_unique<GitRepo>(*path);
    std::vector<BranchCheckout> cs;
    std::set<std::string> branch_fresh;
    sql.exec(
        "SELECT id, git_commit_hash, order_time, order_key FROM analysis_checkouts WHERE "
        "tree_name = $1 AND git_repository_branch = $2 AND git_repository_url = $3",
        {b.tree_name, b.branch, b.url}, [&](const SqlRow& row) {
          BranchCheckout c{std::string(row.text(0)), std::string(row.text(1)),
                           std::string(row.text(2)), std::string(row.text(3))};
          if (all || fresh.count(c.id) || c.key.empty()) branch_fresh.insert(c.id);
          cs.push_back(std::move(c));
        });
    std::vector<std::string> changed = order_branch(*repo, cs, branch_fresh);
    std::unordered_map<std::string, std::string> key_of;
    for (const auto& c : cs) key_of[c.id] = c.key;
    for (const auto& id : changed) {
      const std::string& key = key_of[id];
      sql.exec("UPDATE analysis_checkouts SET order_key = $1 WHERE id = $2", {key, id});
      sql.exec("UPDATE analysis_results SET order_key = $1 WHERE checkout_id = $2", {key, id});
      sql.exec("SELECT DISTINCT identity_key FROM analysis_results WHERE checkout_id = $1", {id},
               [&](const SqlRow& row) { moved.insert(std::string(row.text(0))); });
    }
  }
  return moved;
}

// Output rows of a set of recomputed identities.
struct IdentityOutput {
  std::vector<std::vector<SqlValue>> identities, regressions;
  std::vector<std::string> emptied;  // keys without results any more
};

void add_identity_output(const std::string& key, const Identity& id,
                         const std::vector<HistoryEntry>& entries, const AnalysisOptions& options,
                         IdentityOutput& out) {
  HistoryState state;
  std::vector<Regression> closed;
  std::size_t results = 0;
  for (const auto& e : entries) {
    if (e.order_key == "-") continue;  // off the branch's line (git_order.h)
    add_to_history(state, key, e, options, closed);
    ++results;
  }
  IdentityAnalysis a = analysis_of(state, std::move(closed), options);
  out.identities.push_back(identity_values(key, id, a, results, state));
  for (const auto& r : a.regressions) out.regressions.push_back(regression_values(r, id));
}

// The append path: results that all sort after the identity's newest one
// are added to its stored state; only the regressions they touch are
// written.
void append_identity_output(const std::string& key, const Identity& id, HistoryState state,
                            std::size_t results, std::vector<HistoryEntry> added,
                            const AnalysisOptions& options, IdentityOutput& out) {
  std::sort(added.begin(), added.end(), history_less);
  std::vector<Regression> closed;
  for (const auto& e : added) add_to_history(state, key, e, options, closed);
  IdentityAnalysis a = analysis_of(state, std::move(closed), options);
  out.identities.push_back(identity_values(key, id, a, results + added.size(), state));
  for (const auto& r : a.regressions) out.regressions.push_back(regression_values(r, id));
}

}  // namespace

Analyzer::Analyzer(store::Store& store, store::SqlConnection& sql, AnalysisOptions options)
    : store_(store), sql_(sql), options_(options) {
  migrate(sql_);
  if (sql_.driver() == store::Driver::kSqlite) {
    // As the store's own connection: checkpoints belong to the store's
    // checkpointer thread (an automatic one here would fsync the database
    // file inside every analysis commit), and a larger page cache.
    sql_.exec_script("PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -65536");
  }
}

UpdateStats Analyzer::update(const ingest::ObjectsChanged& event) {
  store::QueryIds ids;
  ids.checkouts = event.checkouts;
  ids.builds = event.builds;
  ids.tests = event.tests;
  UpdateStats stats;
  if (ids.checkouts.empty() && ids.builds.empty() && ids.tests.empty()) return stats;
  store::QueryOptions qo;
  qo.parents = true;
  report::Report r = store_.query(ids, qo);

  sql_.transaction([&] {
    if (sql_.driver() == store::Driver::kPostgresql) {
      // One analysis writer at a time on a database (several `kci run`
      // processes, kci serve's live analysis): the summary is deleted and
      // re-inserted per checkout, which two concurrent READ COMMITTED
      // transactions would both do (a duplicate key).
      sql_.exec("SELECT pg_advisory_xact_lock(4242018)");
    }
    std::unordered_set<std::string> dirty_checkouts;
    std::unordered_map<std::string, Identity> identities;  // key -> fields, of rows at hand
    std::set<std::string> dirty_keys;
    // Keys whose change is not only new results (moved, changed, or in a
    // changed checkout): recomputed from their whole history.
    std::unordered_set<std::string> full_keys;
    // New results per key (for the append path).
    std::unordered_map<std::string, std::vector<HistoryEntry>> added;

    // 1. Checkouts: new or changed ones are written, and their children
    //    (which may have arrived before them) are read.
    std::unordered_map<std::string, CheckoutRow> stored_checkouts;
    {
      std::vector<std::string> cids;
      for (const auto& c : r.checkouts) cids.push_back(c.id.value_or(""));
      for_chunks(cids, kIdsPerQuery, [&](const std::vector<std::string>& chunk) {
        sql_.exec(
            "SELECT id, origin, tree_name, git_repository_url, git_repository_branch, "
            "git_commit_hash, describe, order_time FROM analysis_checkouts WHERE id IN (" +
                placeholders(1, chunk.size()) + ")",
            std::vector<SqlValue>(chunk.begin(), chunk.end()), [&](const SqlRow& row) {
              CheckoutRow c{std::string(row.text(0)), std::string(row.text(1)),
                            std::string(row.text(2)), std::string(row.text(3)),
                            std::string(row.text(4)), std::string(row.text(5)),
                            std::string(row.text(6)), std::string(row.text(7))};
              stored_checkouts.emplace(c.id, c);
            });
      });
    }
    std::vector<std::vector<SqlValue>> checkout_writes;
    std::vector<std::string> changed_checkouts;  // new or changed
    // Changed ones (not new): their results' order and describe may differ.
    std::unordered_set<std::string> changed_checkout_set;
    for (const auto& c : r.checkouts) {
      CheckoutRow row = checkout_row(c);
      auto it = stored_checkouts.find(row.id);
      if (it != stored_checkouts.end() && it->second == row) continue;
      if (it != stored_checkouts.end()) changed_checkout_set.insert(row.id);
      checkout_writes.push_back(row.values());
      changed_checkouts.push_back(row.id);
    }
    insert_rows(sql_, kCheckoutColumns, 8, checkout_writes, kCheckoutUpsert);

    // Git order of the branches of new or changed checkouts; results whose
    // order moved are recomputed from their identities' histories.
    std::unordered_map<std::string, std::string> order_keys;  // checkout id -> key
    if (!options_.repositories.empty()) {
      std::set<BranchName> branches;
      std::set<std::string> fresh;
      for (const auto& c : r.checkouts) {
        CheckoutRow row = checkout_row(c);
        auto it = stored_checkouts.find(row.id);
        if (it != stored_checkouts.end() && it->second.hash == row.hash &&
            it->second.order_time == row.order_time && it->second.tree_name == row.tree_name &&
            it->second.url == row.url && it->second.branch == row.branch) {
          continue;
        }
        fresh.insert(row.id);
        branches.insert(BranchName{row.tree_name, row.url, row.branch});
        if (it != stored_checkouts.end())
          branches.insert(BranchName{it->second.tree_name, it->second.url, it->second.branch});
      }
      for (const auto& key :
           order_by_git(sql_, options_.repositories, git_, branches, fresh, false)) {
        dirty_keys.insert(key);
        full_keys.insert(key);
      }
    }
    // The order key of a result's checkout.
    auto order_key_of = [&](const std::string& checkout_id) -> std::string {
      if (options_.repositories.empty()) return {};
      auto it = order_keys.find(checkout_id);
      if (it != order_keys.end()) return it->second;
      std::string key;
      sql_.exec("SELECT order_key FROM analysis_checkouts WHERE id = $1", {checkout_id},
                [&](const SqlRow& row) { key = row.text(0); });
      order_keys.emplace(checkout_id, key);
      return key;
    };

    // Children of changed checkouts and builds that the report lacks.
    std::unordered_set<std::string> have_builds, have_tests;
    for (const auto& b : r.builds) have_builds.insert(b.id.value_or(""));
    for (const auto& t : r.tests) have_tests.insert(t.id.value_or(""));
    auto add_children = [&](const char* table, const char* parent_column,
                            const std::vector<std::string>& parents,
                            std::unordered_set<std::string>& have, std::vector<std::string>& out) {
      for_chunks(parents, kIdsPerQuery, [&](const std::vector<std::string>& chunk) {
        sql_.exec(std::string("SELECT id FROM ") + table + " WHERE " + parent_column + " IN (" +
                      placeholders(1, chunk.size()) + ")",
                  std::vector<SqlValue>(chunk.begin(), chunk.end()), [&](const SqlRow& row) {
                    std::string id(row.text(0));
                    if (have.insert(id).second) out.push_back(id);
                  });
      });
    };
    auto merge = [&](store::QueryIds more) {
      if (more.empty()) return;
      report::Report extra = store_.query(more, qo);
      std::unordered_set<std::string> cids;
      for (const auto& c : r.checkouts) cids.insert(c.id.value_or(""));
      for (auto& c : extra.checkouts)
        if (cids.insert(c.id.value_or("")).second) r.checkouts.push_back(std::move(c));
      std::unordered_set<std::string> bids;
      for (const auto& b : r.builds) bids.insert(b.id.value_or(""));
      for (auto& b : extra.builds)
        if (bids.insert(b.id.value_or("")).second) r.builds.push_back(std::move(b));
      std::unordered_set<std::string> tids;
      for (const auto& t : r.tests) tids.insert(t.id.value_or(""));
      for (auto& t : extra.tests)
        if (tids.insert(t.id.value_or("")).second) r.tests.push_back(std::move(t));
    };
    {
      store::QueryIds more;
      add_children("builds", "checkout_id", changed_checkouts, have_builds, more.builds);
      std::vector<std::string> all_new_builds = more.builds;
      add_children("tests", "build_id", all_new_builds, have_tests, more.tests);
      merge(std::move(more));
    }

    std::unordered_map<std::string, const report::Checkout*> checkouts;
    std::unordered_map<std::string, CheckoutRow> checkout_rows;
    for (const auto& c : r.checkouts) {
      checkouts[c.id.value_or("")] = &c;
      checkout_rows[c.id.value_or("")] = checkout_row(c);
    }

    // Stored result rows of the objects at hand.
    auto read_rows = [&](Kind kind, const std::vector<std::string>& object_ids) {
      std::unordered_map<std::string, ResultRow> out;
      for_chunks(object_ids, kIdsPerQuery, [&](const std::vector<std::string>& chunk) {
        std::vector<SqlValue> params{kind_name(kind)};
        params.insert(params.end(), chunk.begin(), chunk.end());
        sql_.exec(
            "SELECT object_id, identity_key, checkout_id, order_time, start_time, status, "
            "lab, order_key FROM analysis_results WHERE kind = $1 AND object_id IN (" +
                placeholders(2, chunk.size()) + ")",
            params, [&](const SqlRow& row) {
              ResultRow rr;
              rr.kind = kind;
              rr.object_id = row.text(0);
              rr.identity_key = row.text(1);
              rr.checkout_id = row.text(2);
              rr.order_time = row.text(3);
              rr.start_time = row.text(4);
              rr.status = row.text(5);
              rr.lab = row.text(6);
              rr.order_key = row.text(7);
              out.emplace(rr.object_id, std::move(rr));
            });
      });
      return out;
    };
    std::vector<std::vector<SqlValue>> result_writes;
    auto consider = [&](ResultRow& row, const std::unordered_map<std::string, ResultRow>& old,
                        const Identity& identity) {
      row.order_key = order_key_of(row.checkout_id);
      identities.emplace(row.identity_key, identity);
      auto it = old.find(row.object_id);
      bool in_changed_checkout = changed_checkout_set.count(row.checkout_id) > 0;
      if (in_changed_checkout) {
        // Its describe or order may have changed: the sentences with it too.
        dirty_keys.insert(row.identity_key);
        full_keys.insert(row.identity_key);
      }
      if (it != old.end() && it->second.same_stored(row)) return false;
      if (it != old.end()) {
        dirty_keys.insert(it->second.identity_key);
        full_keys.insert(it->second.identity_key);
        full_keys.insert(row.identity_key);
        dirty_checkouts.insert(it->second.checkout_id);
      } else if (row.order_key == "-") {
        // Off the branch's line: not part of the history (recomputed).
        full_keys.insert(row.identity_key);
      } else {
        added[row.identity_key].push_back(
            HistoryEntry{row.order_time, row.checkout_id, row.start_time, row.object_id, row.status,
                         checkout_rows[row.checkout_id].describe, row.order_key});
      }
      dirty_keys.insert(row.identity_key);
      dirty_checkouts.insert(row.checkout_id);
      result_writes.push_back(row.values());
      return true;
    };

    // 2. Builds; those new or changed bring their tests.
    std::unordered_map<std::string, const report::Build*> builds;
    {
      std::vector<std::string> bids;
      for (const auto& b : r.builds) bids.push_back(b.id.value_or(""));
      auto old = read_rows(Kind::kBuild, bids);
      std::vector<std::string> changed_builds;
      for (const auto& b : r.builds) {
        auto c = checkouts.find(b.checkout_id.value_or(""));
        if (c == checkouts.end()) continue;
        builds[b.id.value_or("")] = &b;
        Identity identity;
        ResultRow row = build_row(b, *c->second, checkout_rows[c->first], identity);
        auto it = old.find(row.object_id);
        bool identity_changed = it == old.end() || it->second.identity_key != row.identity_key ||
                                it->second.order_time != row.order_time;
        consider(row, old, identity);
        if (identity_changed) changed_builds.push_back(row.object_id);
      }
      store::QueryIds more;
      add_children("tests", "build_id", changed_builds, have_tests, more.tests);
      merge(std::move(more));
      // merge() may have moved the vectors: rebuild the pointer maps.
      checkouts.clear();
      checkout_rows.clear();
      for (const auto& c : r.checkouts) {
        checkouts[c.id.value_or("")] = &c;
        checkout_rows[c.id.value_or("")] = checkout_row(c);
      }
      builds.clear();
      for (const auto& b : r.builds)
        if (checkouts.count(b.checkout_id.value_or(""))) builds[b.id.value_or("")] = &b;
    }

    // 3. Tests.
    {
      std::vector<std::string> tids;
      for (const auto& t : r.tests) tids.push_back(t.id.value_or(""));
      auto old = read_rows(Kind::kTest, tids);
      for (const auto& t : r.tests) {
        auto b = builds.find(t.build_id.value_or(""));
        if (b == builds.end()) continue;
        const std::string& cid = b->second->checkout_id.value_or("");
        Identity identity;
        ResultRow row = test_row(t, *b->second, *checkouts[cid], checkout_rows[cid], identity);
        consider(row, old, identity);
      }
    }
    insert_rows(sql_, kResultColumns, 9, result_writes, kResultUpsert);
    stats.results = result_writes.size();

    // 4. Identities whose results changed: appended to their stored state
    //    where every change is a new result after the newest one, else
    //    recomputed from their history.
    IdentityOutput out;
    std::vector<std::string> keys;
    {
      std::vector<std::string> candidates;
      for (const auto& key : dirty_keys)
        if (!full_keys.count(key)) candidates.push_back(key);
      std::unordered_map<std::string, std::pair<std::size_t, HistoryState>> stored;
      for_chunks(candidates, kIdsPerQuery, [&](const std::vector<std::string>& chunk) {
        sql_.exec("SELECT key, results, state FROM analysis_identities WHERE key IN (" +
                      placeholders(1, chunk.size()) + ")",
                  std::vector<SqlValue>(chunk.begin(), chunk.end()), [&](const SqlRow& row) {
                    stored.emplace(std::string(row.text(0)),
                                   std::pair{static_cast<std::size_t>(row.integer(1)),
                                             state_from_json(row.text(2))});
                  });
      });
      std::vector<std::string> appended;
      for (const auto& key : candidates) {
        auto& news = added[key];
        auto first = std::min_element(news.begin(), news.end(), history_less);
        auto st = stored.find(key);
        if (st == stored.end()) {
          // A new identity: nothing stored before these results.
          append_identity_output(key, identities.at(key), HistoryState{}, 0, news, options_, out);
          appended.push_back(key);
        } else if (first != news.end() && st->second.second.last &&
                   history_less(*st->second.second.last, *first)) {
          append_identity_output(key, identities.at(key), st->second.second, st->second.first, news,
                                 options_, out);
          appended.push_back(key);
        } else {
          keys.push_back(key);
        }
      }
      for (const auto& key : full_keys)
        if (dirty_keys.count(key)) keys.push_back(key);
      std::sort(keys.begin(), keys.end());
      stats.identities += appended.size();
    }
    auto histories = read_histories(sql_, keys);
    std::vector<std::string> need_fields;
    for (const auto& key : keys) {
      auto h = histories.find(key);
      if (h == histories.end()) {
        out.emptied.push_back(key);
        continue;
      }
      auto id = identities.find(key);
      if (id == identities.end()) {
        need_fields.push_back(key);
        continue;
      }
      add_identity_output(key, id->second, h->second, options_, out);
    }
    // Identities known only from their stored row (a result moved away).
    for_chunks(need_fields, kIdsPerQuery, [&](const std::vector<std::string>& chunk) {
      sql_.exec(
          "SELECT key, kind, origin, tree_name, git_repository_url, git_repository_branch, "
          "architecture, config_name, compiler, path, platform FROM analysis_identities "
          "WHERE key IN (" +
              placeholders(1, chunk.size()) + ")",
          std::vector<SqlValue>(chunk.begin(), chunk.end()), [&](const SqlRow& row) {
            Identity id;
            id.kind = parse_kind(row.text(1));
            id.origin = row.text(2);
            id.tree_name = row.text(3);
            id.git_repository_url = row.text(4);
            id.git_repository_branch = row.text(5);
            id.architecture = row.text(6);
            id.config_name = row.text(7);
            id.compiler = row.text(8);
            id.path = row.text(9);
            id.platform = row.text(10);
            identities.emplace(std::string(row.text(0)), id);
          });
    });
    for (const auto& key : need_fields) {
      auto id = identities.find(key);
      if (id != identities.end())
        add_identity_output(key, id->second, histories[key], options_, out);
    }
    for_chunks(keys, kIdsPerQuery, [&](const std::vector<std::string>& chunk) {
      sql_.exec("DELETE FROM analysis_regressions WHERE identity_key IN (" +
                    placeholders(1, chunk.size()) + ")",
                std::vector<SqlValue>(chunk.begin(), chunk.end()));
    });
    for_chunks(out.emptied, kIdsPerQuery, [&](const std::vector<std::string>& chunk) {
      sql_.exec(
          "DELETE FROM analysis_identities WHERE key IN (" + placeholders(1, chunk.size()) + ")",
          std::vector<SqlValue>(chunk.begin(), chunk.end()));
    });
    insert_rows(sql_, kIdentityColumns, 21, out.identities, kIdentityUpsert);
    insert_rows(sql_, kRegressionColumns, 19, out.regressions, kRegressionUpsert);
    stats.identities += keys.size();

    // 5. Summaries of the checkouts whose results changed.
    for (const auto& cid : dirty_checkouts) {
      sql_.exec("DELETE FROM analysis_summary WHERE checkout_id = $1", {cid});
      sql_.exec(summary_insert("WHERE r.checkout_id = $1"), {cid});
    }
    stats.checkouts = dirty_checkouts.size();
  });
  return stats;
}

UpdateStats Analyzer::rebuild(std::size_t objects_per_chunk) {
  UpdateStats stats;
  sql_.transaction([&] {
    for (const char* table : kTables) sql_.exec(std::string("DELETE FROM ") + table);
    std::unordered_map<std::string, report::Checkout> checkouts;
    std::unordered_map<std::string, CheckoutRow> checkout_rows;
    std::unordered_map<std::string, report::Build> builds;
    std::unordered_map<std::string, Identity> identities;
    std::vector<std::vector<SqlValue>> rows;
    auto flush = [&] {
      insert_rows(sql_, kResultColumns, 9, rows);
      stats.results += rows.size();
      rows.clear();
    };
    store::Selection all;
    store_.dump(all, false, objects_per_chunk, [&](report::Report& r) {
      std::vector<std::vector<SqlValue>> checkout_values;
      for (auto& c : r.checkouts) {
        CheckoutRow row = checkout_row(c);
        checkout_values.push_back(row.values());
        checkout_rows[row.id] = row;
        checkouts[row.id] = std::move(c);
      }
      insert_rows(sql_, kCheckoutColumns, 8, checkout_values);
      for (auto& b : r.builds) {
        auto c = checkouts.find(b.checkout_id.value_or(""));
        if (c == checkouts.end()) continue;
        Identity identity;
        ResultRow row = build_row(b, c->second, checkout_rows[c->first], identity);
        identities.emplace(row.identity_key, identity);
        rows.push_back(row.values());
        // Tests need only the build's configuration fields.
        report::Build slim;
        slim.id = b.id;
        slim.checkout_id = b.checkout_id;
        slim.origin = b.origin;
        slim.architecture = b.architecture;
        slim.config_name = b.config_name;
        slim.compiler = b.compiler;
        builds.emplace(*b.id, std::move(slim));
      }
      for (const auto& t : r.tests) {
        auto b = builds.find(t.build_id.value_or(""));
        if (b == builds.end()) continue;
        const std::string& cid = b->second.checkout_id.value_or("");
        Identity identity;
        ResultRow row = test_row(t, b->second, checkouts[cid], checkout_rows[cid], identity);
        identities.emplace(row.identity_key, identity);
        rows.push_back(row.values());
      }
      if (rows.size() >= 10000) flush();
    });
    flush();
    if (!options_.repositories.empty()) {
      std::set<BranchName> branches;
      sql_.exec(
          "SELECT DISTINCT tree_name, git_repository_url, git_repository_branch FROM "
          "analysis_checkouts",
          {}, [&](const SqlRow& row) {
            branches.insert(BranchName{std::string(row.text(0)), std::string(row.text(1)),
                                       std::string(row.text(2))});
          });
      order_by_git(sql_, options_.repositories, git_, branches, {}, true);
    }

    // Identities, one pass over the results grouped by identity.
    IdentityOutput out;
    std::string current;
    std::vector<HistoryEntry> entries;
    auto finish = [&] {
      if (current.empty()) return;
      std::sort(entries.begin(), entries.end(), history_less);
      add_identity_output(current, identities.at(current), entries, options_, out);
      entries.clear();
      ++stats.identities;
    };
    sql_.exec(
        "SELECT r.identity_key, r.order_time, r.checkout_id, r.start_time, r.object_id, "
        "r.status, c.describe, r.order_key FROM analysis_results r JOIN analysis_checkouts c ON "
        "c.id = r.checkout_id ORDER BY r.identity_key",
        {}, [&](const SqlRow& row) {
          if (row.text(0) != current) {
            finish();
            current = row.text(0);
          }
          entries.push_back(HistoryEntry{std::string(row.text(1)), std::string(row.text(2)),
                                         std::string(row.text(3)), std::string(row.text(4)),
                                         std::string(row.text(5)), std::string(row.text(6)),
                                         std::string(row.text(7))});
        });
    finish();
    insert_rows(sql_, kIdentityColumns, 21, out.identities);
    insert_rows(sql_, kRegressionColumns, 19, out.regressions);
    sql_.exec(summary_insert(""));
    stats.checkouts = checkout_rows.size();
  });
  return stats;
}

std::string dump_tables(store::SqlConnection& sql) {
  std::string out;
  for (const char* table : kTables) {
    std::vector<std::string> lines;
    sql.exec(std::string("SELECT * FROM ") + table, {}, [&](const SqlRow& row) {
      std::string line = table;
      for (std::size_t i = 0; i < row.size(); ++i) {
        line += '\t';
        line += row.is_null(i) ? std::string("NULL") : std::string(row.text(i));
      }
      lines.push_back(std::move(line));
    });
    std::sort(lines.begin(), lines.end());
    for (const auto& l : lines) out += l + '\n';
  }
  return out;
}

}  // namespace kci::analysis
