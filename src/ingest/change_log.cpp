// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ingest/change_log.h"

#include "store/wakeup.h"
#include "util/time.h"

namespace kci::ingest {

using store::Driver;
using store::SqlRow;

const std::vector<store::Migration>& ChangeLog::migrations() {
  static const std::vector<store::Migration> m = {
      {1, "change log (one ObjectsChanged per committed ingest batch) and consumer cursors",
       // AUTOINCREMENT: a sequence is never reused, even after the newest
       // events were deleted.
       "CREATE TABLE kci_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
       "committed_at TEXT NOT NULL, event TEXT NOT NULL);"
       "CREATE TABLE kci_change_cursors (consumer TEXT PRIMARY KEY, seq INTEGER NOT NULL, "
       "updated_at TEXT NOT NULL)",
       "CREATE TABLE kci_changes (seq BIGSERIAL PRIMARY KEY, committed_at TEXT NOT NULL, "
       "event TEXT NOT NULL);"
       "CREATE TABLE kci_change_cursors (consumer TEXT PRIMARY KEY, seq BIGINT NOT NULL, "
       "updated_at TEXT NOT NULL)"},
  };
  return m;
}

ChangeLog::ChangeLog(store::SqlConnection& sql, bool migrate) : sql_(sql) {
  if (migrate) sql_.apply_migrations(kComponent, migrations());
}

std::uint64_t ChangeLog::append(ObjectsChanged& event) {
  return sql_.transaction([&] { return append_in_transaction(event); });
}

std::uint64_t ChangeLog::append_in_transaction(ObjectsChanged& event) {
  if (sql_.driver() == Driver::kPostgresql) {
    // Why a lock: a BIGSERIAL value is taken when the row is inserted, but
    // becomes visible when its transaction commits, and concurrent
    // appenders commit in any order. Were appender A to take 7 and B 8, and
    // B commit first, a reader could read 8, store 8 as its cursor, and
    // never see 7 (committed later). This transaction-scoped advisory lock
    // is held from before the sequence is taken until the commit (or
    // rollback) has ended, so sequences are taken and made visible in the
    // same order. Only the append and the commit are serialised, not the
    // loads before them. (SQLite has one writer at a time anyway.)
    sql_.exec("SELECT pg_advisory_xact_lock(4242011)");
  }
  if (event.committed_at.empty()) event.committed_at = now_rfc3339();
  event.sequence = 0;
  std::string text = to_json(event);
  std::uint64_t seq = 0;
  sql_.exec("INSERT INTO kci_changes (committed_at, event) VALUES ($1, $2) RETURNING seq",
            {event.committed_at, text},
            [&](const SqlRow& r) { seq = static_cast<std::uint64_t>(r.integer(0)); });
  event.sequence = seq;
  // Consumers in other processes (kci run's analysis, kci serve's live
  // services) wake at the commit.
  store::announce(sql_, store::kChangesChannel);
  return seq;
}

std::vector<ObjectsChanged> ChangeLog::read_after(std::uint64_t after, std::size_t limit) {
  std::vector<ObjectsChanged> out;
  sql_.exec("SELECT seq, event FROM kci_changes WHERE seq > $1 ORDER BY seq LIMIT $2",
            {std::to_string(after), std::to_string(limit)}, [&](const SqlRow& r) {
              ObjectsChanged e = objects_changed_from_json(r.text(1));
              e.sequence = static_cast<std::uint64_t>(r.integer(0));
              out.push_back(std::move(e));
            });
  return out;
}

std::uint64_t ChangeLog::last_sequence() {
  std::uint64_t seq = 0;
  sql_.exec("SELECT max(seq) FROM kci_changes", {}, [&](const SqlRow& r) {
    if (!r.is_null(0)) seq = static_cast<std::uint64_t>(r.integer(0));
  });
  return seq;
}

std::uint64_t ChangeLog::cursor(const std::string& consumer) {
  std::uint64_t seq = 0;
  sql_.exec("SELECT seq FROM kci_change_cursors WHERE consumer = $1", {consumer},
            [&](const SqlRow& r) { seq = static_cast<std::uint64_t>(r.integer(0)); });
  return seq;
}

void ChangeLog::advance(const std::string& consumer, std::uint64_t sequence) {
  sql_.exec(
      "INSERT INTO kci_change_cursors (consumer, seq, updated_at) VALUES ($1, $2, $3) "
      "ON CONFLICT (consumer) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at "
      "WHERE excluded.seq > kci_change_cursors.seq",
      {consumer, std::to_string(sequence), now_rfc3339()});
}

std::vector<std::pair<std::string, std::uint64_t>> ChangeLog::cursors() {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  sql_.exec("SELECT consumer, seq FROM kci_change_cursors ORDER BY consumer", {},
            [&](const SqlRow& r) {
              out.emplace_back(std::string(r.text(0)), static_cast<std::uint64_t>(r.integer(1)));
            });
  return out;
}

}  // namespace kci::ingest
