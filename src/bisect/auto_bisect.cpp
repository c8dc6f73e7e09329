// SPDX-License-Identifier: LGPL-2.1-or-later
#include "bisect/auto_bisect.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>

#include "bisect/culprit_report.h"
#include "ingest/loader.h"
#include "triage/known_regressions.h"
#include "util/sha256.h"

namespace kci::bisect {

using store::SqlRow;
using store::SqlValue;

namespace {

std::string table_sql(const char* id_column) {
  return std::string(R"(
CREATE TABLE bisections (
  id )") +
         id_column + R"(,
  identity_key TEXT NOT NULL,
  last_pass_checkout TEXT NOT NULL,
  first_fail_checkout TEXT NOT NULL,
  regression_id TEXT NOT NULL,
  state TEXT NOT NULL,
  request TEXT NOT NULL,
  worker TEXT NOT NULL,
  attempts BIGINT NOT NULL,
  queued_at BIGINT NOT NULL,
  started_at BIGINT NOT NULL,
  finished_at BIGINT NOT NULL,
  lease_until BIGINT NOT NULL,
  status TEXT NOT NULL,
  culprit TEXT NOT NULL,
  issue_id TEXT NOT NULL,
  result TEXT NOT NULL,
  error TEXT NOT NULL,
  UNIQUE (identity_key, last_pass_checkout, first_fail_checkout)
);
CREATE INDEX bisections_state ON bisections (state, id))";
}

const char* const kColumns =
    "id, identity_key, last_pass_checkout, first_fail_checkout, regression_id, state, request, "
    "worker, attempts, queued_at, started_at, finished_at, lease_until, status, culprit, "
    "issue_id, result, error";

BisectionRecord read_record(const SqlRow& row) {
  BisectionRecord r;
  r.id = row.integer(0);
  r.identity_key = row.text(1);
  r.last_pass_checkout = row.text(2);
  r.first_fail_checkout = row.text(3);
  r.regression_id = row.text(4);
  r.state = row.text(5);
  std::string_view request = row.text(6);
  if (!request.empty()) r.request = request_from_json(request);
  r.worker = row.text(7);
  r.attempts = static_cast<int>(row.integer(8));
  r.queued_at = row.integer(9);
  r.started_at = row.integer(10);
  r.finished_at = row.integer(11);
  r.lease_until = row.integer(12);
  r.status = row.text(13);
  r.culprit = row.text(14);
  r.issue_id = row.text(15);
  r.result = row.text(16);
  r.error = row.text(17);
  return r;
}

std::string host_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return host[0] ? host : "localhost";
}

std::string default_worker() { return host_name() + ":" + std::to_string(::getpid()); }

// A worker named as default_worker() names them, of this host, whose
// process is gone (killed -9, crashed). A pid reused since only delays the
// takeover until the lease expires.
bool worker_is_dead_here(const std::string& worker) {
  auto colon = worker.rfind(':');
  if (colon == std::string::npos || colon + 1 >= worker.size() || worker.size() - colon > 10) {
    return false;
  }
  for (std::size_t i = colon + 1; i < worker.size(); ++i) {
    if (worker[i] < '0' || worker[i] > '9') return false;
  }
  if (worker.compare(0, colon, host_name()) != 0) return false;
  long pid = std::stol(worker.substr(colon + 1));
  return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

std::int64_t system_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

// A directory name for one build configuration.
std::string config_dir_name(const BisectRequest& q) {
  std::string name = q.arch + "-" + q.toolchain + "-";
  for (char c : q.config.substr(0, 40)) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_';
    name += plain ? c : '_';
  }
  return name + "-" + sha256_hex(q.arch + "\n" + q.toolchain + "\n" + q.config).substr(0, 8);
}

}  // namespace

const std::vector<store::Migration>& migrations() {
  static const std::vector<store::Migration> list = {
      {1, "bisect: the bisections of regressions (queue, claims, results)",
       table_sql("INTEGER PRIMARY KEY AUTOINCREMENT"), table_sql("BIGSERIAL PRIMARY KEY")},
  };
  return list;
}

void migrate(store::SqlConnection& sql) { sql.apply_migrations(kComponent, migrations()); }

BisectionTable::BisectionTable(store::SqlConnection& sql) : sql_(sql) { migrate(sql_); }

namespace {

const char* const kInsert =
    "INSERT INTO bisections (identity_key, last_pass_checkout, first_fail_checkout, "
    "regression_id, state, request, worker, attempts, queued_at, started_at, finished_at, "
    "lease_until, status, culprit, issue_id, result, error) VALUES ($1, $2, $3, $4, $5, $6, '', "
    "0, $7, 0, $8, 0, '', '', '', '', $9) ON CONFLICT (identity_key, last_pass_checkout, "
    "first_fail_checkout) DO NOTHING";

}  // namespace

bool BisectionTable::queue(const BisectRequest& q, std::int64_t now) {
  std::string t = std::to_string(now);
  return sql_.exec(kInsert, {q.identity_key, q.good_checkout, q.bad_checkout, q.regression_id,
                             std::string("queued"), request_json(q), t, std::string("0"),
                             std::string("")}) == 1;
}

bool BisectionTable::record_unbisectable(const analysis::RegressionInfo& r,
                                         const std::string& error, std::int64_t now) {
  std::string t = std::to_string(now);
  return sql_.exec(kInsert, {r.identity.key, r.last_pass.checkout_id, r.first_fail.checkout_id,
                             r.id, std::string("failed"), std::string(""), t, t, error}) == 1;
}

bool BisectionTable::contains(const std::string& identity_key,
                              const std::string& last_pass_checkout,
                              const std::string& first_fail_checkout) {
  return sql_.exec(
             "SELECT id FROM bisections WHERE identity_key = $1 AND last_pass_checkout = $2 AND "
             "first_fail_checkout = $3",
             {identity_key, last_pass_checkout, first_fail_checkout}) > 0;
}

std::optional<BisectionRecord> BisectionTable::claim(const std::string& worker, std::int64_t now,
                                                     std::int64_t lease_seconds) {
  const std::string claimable = "(state = 'queued' OR (state = 'running' AND lease_until < $1))";
  // A claim of a dead process of this host (kill -9 of kci bisect --auto)
  // is claimable at once, not after its lease (a day by default): its
  // lease ends now (unless another worker took the row meanwhile).
  std::vector<std::pair<std::string, std::string>> held;
  sql_.exec("SELECT id, worker FROM bisections WHERE state = 'running' AND lease_until >= $1",
            {std::to_string(now)}, [&](const SqlRow& row) {
              held.emplace_back(std::to_string(row.integer(0)), std::string(row.text(1)));
            });
  for (const auto& [id, holder] : held) {
    if (!worker_is_dead_here(holder)) continue;
    sql_.exec(
        "UPDATE bisections SET lease_until = 0 WHERE id = $1 AND state = 'running' AND worker = $2",
        {id, holder});
  }
  // A concurrent claimer may take the row between the SELECT and the
  // UPDATE (PostgreSQL, READ COMMITTED): the UPDATE's condition then holds
  // for no row and the next candidate is tried.
  for (int attempt = 0; attempt < 100; ++attempt) {
    bool none = false;
    auto claimed = sql_.transaction([&]() -> std::optional<BisectionRecord> {
      std::optional<std::int64_t> id;
      sql_.exec("SELECT id FROM bisections WHERE " + claimable + " ORDER BY id LIMIT 1",
                {std::to_string(now)}, [&](const SqlRow& row) { id = row.integer(0); });
      if (!id) {
        none = true;
        return std::nullopt;
      }
      std::size_t changed = sql_.exec(
          "UPDATE bisections SET state = 'running', worker = $2, started_at = $1, lease_until = "
          "$3, attempts = attempts + 1 WHERE id = $4 AND " +
              claimable,
          {std::to_string(now), worker, std::to_string(now + lease_seconds), std::to_string(*id)});
      if (changed != 1) return std::nullopt;
      std::optional<BisectionRecord> out;
      sql_.exec(std::string("SELECT ") + kColumns + " FROM bisections WHERE id = $1",
                {std::to_string(*id)}, [&](const SqlRow& row) { out = read_record(row); });
      return out;
    });
    if (claimed || none) return claimed;
  }
  return std::nullopt;
}

void BisectionTable::finish(std::int64_t id, const BisectResult& result,
                            const std::string& issue_id, std::int64_t now) {
  sql_.exec(
      "UPDATE bisections SET state = 'done', finished_at = $2, status = $3, culprit = $4, "
      "issue_id = $5, result = $6, error = '' WHERE id = $1",
      {std::to_string(id), std::to_string(now), result.status,
       result.culprit ? result.culprit->hash : std::string(), issue_id, result_json(result, 0)});
}

void BisectionTable::fail(std::int64_t id, const std::string& error, std::int64_t now) {
  sql_.exec("UPDATE bisections SET state = 'failed', finished_at = $2, error = $3 WHERE id = $1",
            {std::to_string(id), std::to_string(now), error});
}

void BisectionTable::release(std::int64_t id) {
  sql_.exec(
      "UPDATE bisections SET state = 'queued', lease_until = 0 WHERE id = $1 AND state = "
      "'running'",
      {std::to_string(id)});
}

std::optional<BisectionRecord> BisectionTable::get(std::int64_t id) {
  std::optional<BisectionRecord> out;
  sql_.exec(std::string("SELECT ") + kColumns + " FROM bisections WHERE id = $1",
            {std::to_string(id)}, [&](const SqlRow& row) { out = read_record(row); });
  return out;
}

std::vector<BisectionRecord> BisectionTable::list(const std::string& state) {
  std::vector<BisectionRecord> out;
  auto add = [&](const SqlRow& row) { out.push_back(read_record(row)); };
  if (state.empty()) {
    sql_.exec(std::string("SELECT ") + kColumns + " FROM bisections ORDER BY id", {}, add);
  } else {
    sql_.exec(std::string("SELECT ") + kColumns + " FROM bisections WHERE state = $1 ORDER BY id",
              {state}, add);
  }
  return out;
}

StepRunnerFactory kernel_step_runner_factory(KernelStepOptions base) {
  return [base](const BisectRequest& request) -> std::unique_ptr<StepRunner> {
    KernelStepOptions o = step_options(request, base);
    if (!o.build_dir.empty()) o.build_dir += "/" + config_dir_name(request);
    return std::make_unique<KernelStepRunner>(std::move(o));
  };
}

std::string AutoBisectStats::describe() const {
  char line[384];
  std::snprintf(line, sizeof line,
                "bisect: %d active regression(s): %d queued, %d already, %d unstable, %d known, "
                "%d other tree, %d unbisectable; ran %d (%d found), %d failed%s",
                queue.active, queue.queued, queue.already, queue.unstable, queue.known,
                queue.other_tree, queue.unbisectable, ran, found, failed,
                interrupted ? ", 1 interrupted (queued again)" : "");
  return line;
}

QueueStats queue_regressions(store::SqlConnection& sql, store::Store& store,
                             const AutoBisectOptions& options) {
  BisectionTable table(sql);
  const std::int64_t now = options.clock ? options.clock() : system_now();
  QueueStats stats;
  analysis::RegressionFilter filter;  // active and reported
  filter.origin = options.origin;
  std::vector<analysis::RegressionInfo> candidates;
  for (auto& r : analysis::regressions(sql, filter)) {
    ++stats.active;
    const auto& id = r.identity.identity;
    if (!options.trees.empty() && std::find(options.trees.begin(), options.trees.end(),
                                            id.tree_name) == options.trees.end()) {
      ++stats.other_tree;
    } else if (r.unstable || r.identity.unstable) {
      ++stats.unstable;
    } else if (table.contains(r.identity.key, r.last_pass.checkout_id, r.first_fail.checkout_id)) {
      ++stats.already;
    } else {
      candidates.push_back(std::move(r));
    }
  }
  if (candidates.empty()) return stats;
  auto known = triage::known_issues_of_regressions(store, candidates);
  for (const auto& r : candidates) {
    if (known.count(r.id)) {
      ++stats.known;
      continue;
    }
    try {
      BisectRequest request = regression_request(sql, store, r);
      if (table.queue(request, now)) {
        ++stats.queued;
      } else {
        ++stats.already;
      }
    } catch (const InvalidInputError& e) {
      if (table.record_unbisectable(r, e.what(), now)) {
        ++stats.unbisectable;
      } else {
        ++stats.already;
      }
    }
  }
  return stats;
}

BisectionRecord run_claimed(BisectionTable& table, store::Store& store, BisectionRecord record,
                            const StepRunnerFactory& factory, const AutoBisectOptions& options,
                            const Progress& progress) {
  auto now = [&] { return options.clock ? options.clock() : system_now(); };
  const BisectRequest& q = record.request;
  std::string what =
      "bisection " + std::to_string(record.id) + " (" + q.tree_name + " " +
      (q.build_only ? "build " + q.arch + " " + q.config : q.test_path + " on " + q.platform) +
      ", " + q.good.substr(0, 12) + ".." + q.bad.substr(0, 12) + ")";
  if (progress) progress(what + ": started");
  try {
    std::unique_ptr<StepRunner> runner = factory(q);
    BisectOptions bisect_options = options.bisect;
    bisect_options.build_only = q.build_only;
    Bisector bisector(options.source_dir, *runner, bisect_options);
    BisectResult result = bisector.run(q.good, q.bad);
    std::string issue_id;
    if (result.culprit && options.store_culprit) {
      report::Report culprit = culprit_report(result, culprit_input(q, options.origin));
      issue_id = culprit.issues.front().id.value_or("");
      ingest::Loader(store).load(std::move(culprit));
    }
    table.finish(record.id, result, issue_id, now());
    if (progress) {
      progress(what + ": " + result.status +
               (result.culprit ? " " + result.culprit->hash.substr(0, 12) + " (\"" +
                                     result.culprit->subject + "\")"
                               : std::string()));
    }
  } catch (const store::StoreError&) {
    throw;
  } catch (const BisectInterrupted&) {
    // The tree is back as it was; the next run starts it again.
    table.release(record.id);
    if (progress) progress(what + ": interrupted, queued again");
    throw;
  } catch (const std::exception& e) {
    table.fail(record.id, e.what(), now());
    if (progress) progress(what + ": failed: " + e.what());
  }
  return table.get(record.id).value_or(record);
}

AutoBisectStats run_pending(store::SqlConnection& sql, store::Store& store,
                            const StepRunnerFactory& factory, const AutoBisectOptions& options,
                            const Progress& progress) {
  AutoBisectStats stats;
  BisectionTable table(sql);
  if (options.scan) stats.queue = queue_regressions(sql, store, options);
  const std::string worker = options.worker.empty() ? default_worker() : options.worker;
  auto stopped = [&] { return options.bisect.stop && *options.bisect.stop; };
  while (!stopped() && (options.max_bisections <= 0 ||
                        stats.ids.size() < static_cast<std::size_t>(options.max_bisections))) {
    auto claimed =
        table.claim(worker, options.clock ? options.clock() : system_now(), options.lease_seconds);
    if (!claimed) break;
    stats.ids.push_back(claimed->id);
    BisectionRecord done;
    try {
      done = run_claimed(table, store, std::move(*claimed), factory, options, progress);
    } catch (const BisectInterrupted&) {
      ++stats.interrupted;
      break;
    }
    if (done.state == "done") {
      ++stats.ran;
      if (!done.culprit.empty()) ++stats.found;
    } else {
      ++stats.failed;
    }
  }
  return stats;
}

}  // namespace kci::bisect
