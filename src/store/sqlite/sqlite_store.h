// SPDX-License-Identifier: LGPL-2.1-or-later
// The SQLite driver: the embedded default ("sqlite:PATH" or
// "sqlite::memory:").
//
// Durability: file databases run in WAL mode with synchronous=NORMAL. A load
// is one transaction, so a crash of kci (or kill -9) never leaves part of a
// report; a power loss may lose the last committed loads, never corrupt the
// database. Concurrent writers (other processes) wait up to 60 s for the
// write lock.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "store/sqlite/sqlite_sql.h"
#include "store/sqlite/wal_checkpointer.h"
#include "store/store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace kci::store {

class SqliteStore : public Store {
 public:
  explicit SqliteStore(const DatabaseSpec& spec);
  ~SqliteStore() override;

  void cleanup() override;
  void empty() override;
  std::size_t purge(const std::string& before) override;
  void load(report::Report report, const LoadOptions& options) override;
  using Store::load;
  void select(report::ObjectType type, const Selection& selection, bool with_metadata,
              report::Report& out) override;

 protected:
  std::string describe() const override;
  std::string spec_hint() const override;
  SqlConnection& sql_locked() override;

 private:
  void exec(const std::string& sql);
  [[noreturn]] void fail(const std::string& what);
  sqlite3_stmt* prepare(const std::string& sql);
  void finalize_statements();

  sqlite3* db_ = nullptr;
  // db_ as a SqlConnection (migrations, Store::with_sql).
  std::unique_ptr<SqliteSql> sql_;
  // Upserts of one type, prepared once and reused: `rows` objects per
  // statement, and one for the rest.
  struct Upserts {
    sqlite3_stmt* multi = nullptr;
    sqlite3_stmt* single = nullptr;
    sqlite3_stmt* refresh = nullptr;  // tables with parent ids only
    int rows = 1;
  };
  static constexpr int kRowsPerStatement = 32;
  std::map<report::ObjectType, Upserts> upserts_;
  // File databases, from the first load on (see wal_checkpointer.h).
  std::unique_ptr<WalCheckpointer> checkpointer_;
};

}  // namespace kci::store
