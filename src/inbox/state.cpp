// SPDX-License-Identifier: LGPL-2.1-or-later
#include "inbox/state.h"

namespace kci::inbox {

namespace {

std::vector<store::Migration> migrations() {
  const char* tables =
      "CREATE TABLE inbox_cursors (list TEXT NOT NULL, epoch INTEGER NOT NULL, "
      "commit_id TEXT NOT NULL, PRIMARY KEY (list, epoch));"
      "CREATE TABLE inbox_polls (list TEXT PRIMARY KEY, last_poll BIGINT NOT NULL);"
      "CREATE TABLE inbox_pending (list TEXT NOT NULL, message_id TEXT NOT NULL, "
      "seq INTEGER NOT NULL, epoch INTEGER NOT NULL, blob TEXT NOT NULL, "
      "PRIMARY KEY (list, message_id));"
      "CREATE TABLE inbox_series (list TEXT NOT NULL, series_id TEXT NOT NULL, "
      "status TEXT NOT NULL, checkout_id TEXT, message_id TEXT, patchset_hash TEXT, "
      "contacts TEXT, subject TEXT, created TEXT NOT NULL, replied INTEGER NOT NULL DEFAULT 0, "
      "PRIMARY KEY (list, series_id))";
  // The same text for both drivers: nothing here differs.
  return {
      {1, "inbox: cursors, polls, pending messages and series of mailing lists", tables, tables}};
}

SeriesRecord read_series(const store::SqlRow& r) {
  SeriesRecord s;
  s.list = std::string(r.text(0));
  s.series_id = std::string(r.text(1));
  s.status = std::string(r.text(2));
  s.checkout_id = std::string(r.text(3));
  s.message_id = std::string(r.text(4));
  s.patchset_hash = std::string(r.text(5));
  s.contacts = std::string(r.text(6));
  s.subject = std::string(r.text(7));
  s.created = std::string(r.text(8));
  s.replied = r.integer(9) != 0;
  return s;
}

constexpr const char* kSeriesColumns =
    "list, series_id, status, checkout_id, message_id, patchset_hash, contacts, subject, created, "
    "replied";

}  // namespace

InboxState::InboxState(store::SqlConnection& sql) : sql_(sql) {}

void InboxState::migrate(store::SqlConnection& sql) { sql.apply_migrations("inbox", migrations()); }

Cursor InboxState::cursor(const std::string& list) {
  Cursor cursor;
  sql_.exec("SELECT epoch, commit_id FROM inbox_cursors WHERE list = $1", {list},
            [&](const store::SqlRow& r) {
              cursor[static_cast<int>(r.integer(0))] = std::string(r.text(1));
            });
  return cursor;
}

std::optional<std::int64_t> InboxState::last_poll(const std::string& list) {
  std::optional<std::int64_t> out;
  sql_.exec("SELECT last_poll FROM inbox_polls WHERE list = $1", {list},
            [&](const store::SqlRow& r) { out = r.integer(0); });
  return out;
}

std::vector<PendingMessage> InboxState::pending(const std::string& list) {
  std::vector<PendingMessage> out;
  sql_.exec("SELECT message_id, epoch, blob FROM inbox_pending WHERE list = $1 ORDER BY seq",
            {list}, [&](const store::SqlRow& r) {
              out.push_back(
                  {std::string(r.text(0)), static_cast<int>(r.integer(1)), std::string(r.text(2))});
            });
  return out;
}

std::optional<SeriesRecord> InboxState::series(const std::string& list,
                                               const std::string& series_id) {
  std::optional<SeriesRecord> out;
  sql_.exec(std::string("SELECT ") + kSeriesColumns +
                " FROM inbox_series WHERE list = $1 AND series_id = $2",
            {list, series_id}, [&](const store::SqlRow& r) { out = read_series(r); });
  return out;
}

std::vector<SeriesRecord> InboxState::all_series(const std::string& list) {
  std::vector<SeriesRecord> out;
  std::string sql = std::string("SELECT ") + kSeriesColumns + " FROM inbox_series";
  std::vector<store::SqlValue> params;
  if (!list.empty()) {
    sql += " WHERE list = $1";
    params.push_back(list);
  }
  sql += " ORDER BY created, list, series_id";
  sql_.exec(sql, params, [&](const store::SqlRow& r) { out.push_back(read_series(r)); });
  return out;
}

void InboxState::save_poll(const std::string& list, const Cursor& cursor,
                           const std::vector<PendingMessage>& pending,
                           const std::vector<SeriesRecord>& handled, std::int64_t poll_time) {
  sql_.transaction([&] {
    for (const auto& [epoch, commit] : cursor) {
      sql_.exec(
          "INSERT INTO inbox_cursors (list, epoch, commit_id) VALUES ($1, $2, $3) "
          "ON CONFLICT (list, epoch) DO UPDATE SET commit_id = excluded.commit_id",
          {list, std::to_string(epoch), commit});
    }
    sql_.exec("DELETE FROM inbox_pending WHERE list = $1", {list});
    std::int64_t seq = 0;
    for (const PendingMessage& p : pending) {
      sql_.exec(
          "INSERT INTO inbox_pending (list, message_id, seq, epoch, blob) "
          "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (list, message_id) DO NOTHING",
          {list, p.message_id, std::to_string(seq++), std::to_string(p.epoch), p.blob});
    }
    for (const SeriesRecord& s : handled) {
      sql_.exec(
          "INSERT INTO inbox_series (list, series_id, status, checkout_id, message_id, "
          "patchset_hash, contacts, subject, created, replied) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0) "
          "ON CONFLICT (list, series_id) DO NOTHING",
          {list, s.series_id, s.status, s.checkout_id, s.message_id, s.patchset_hash, s.contacts,
           s.subject, s.created});
    }
    sql_.exec(
        "INSERT INTO inbox_polls (list, last_poll) VALUES ($1, $2) "
        "ON CONFLICT (list) DO UPDATE SET last_poll = excluded.last_poll",
        {list, std::to_string(poll_time)});
  });
}

void InboxState::mark_replied(const std::string& list, const std::string& series_id) {
  sql_.exec("UPDATE inbox_series SET replied = 1 WHERE list = $1 AND series_id = $2",
            {list, series_id});
}

}  // namespace kci::inbox
