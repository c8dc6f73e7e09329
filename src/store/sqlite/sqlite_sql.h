// SPDX-License-Identifier: LGPL-2.1-or-later
// SqlConnection on SQLite: a connection of its own (file databases wait up
// to 60 s for another writer's lock), or a view of the SQLite store's
// connection (Store::with_sql).
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "store/sql.h"

struct sqlite3;
struct sqlite3_stmt;

namespace kci::store {

class SqliteSql final : public SqlConnection {
 public:
  // Opens the database file of spec (which must exist, except ":memory:").
  explicit SqliteSql(const DatabaseSpec& spec);
  // Uses a connection someone else owns and serialises (not closed here).
  SqliteSql(const DatabaseSpec& spec, sqlite3* borrowed);
  ~SqliteSql() override;

  std::string describe() const override;
  std::size_t exec(std::string_view sql, const std::vector<SqlValue>& params = {},
                   const SqlRowCallback& on_row = nullptr) override;
  void exec_script(std::string_view sql) override;
  void begin() override;
  void commit() override;
  void rollback() override;
  bool in_transaction() const override { return in_transaction_; }

  // Finalises the cached statements (before the owner closes a borrowed
  // connection, or drops tables they name).
  void clear_cache();

 private:
  [[noreturn]] void fail(std::string_view sql, const std::string& what);

  sqlite3* db_ = nullptr;
  bool owned_ = false;
  std::recursive_mutex mutex_;
  bool in_transaction_ = false;
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool busy = false;  // being stepped (a nested exec of the same text prepares its own)
  };
  std::unordered_map<std::string, Cached> cache_;
};

}  // namespace kci::store
