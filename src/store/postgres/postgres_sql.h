// SPDX-License-Identifier: LGPL-2.1-or-later
// SqlConnection on PostgreSQL: a connection of its own (time zone UTC), or
// a view of the PostgreSQL store's connection (Store::with_sql). Statements
// are prepared server-side (PQprepare) once per connection and text.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "store/sql.h"

struct pg_conn;

namespace kci::store {

class PostgresSql final : public SqlConnection {
 public:
  // Connects with the libpq conninfo of spec.
  explicit PostgresSql(const DatabaseSpec& spec);
  // Uses a connection someone else owns and serialises (not closed here).
  PostgresSql(const DatabaseSpec& spec, pg_conn* borrowed);
  ~PostgresSql() override;

  std::string describe() const override;
  std::size_t exec(std::string_view sql, const std::vector<SqlValue>& params = {},
                   const SqlRowCallback& on_row = nullptr) override;
  void exec_script(std::string_view sql) override;
  void begin() override;
  void commit() override;
  void rollback() override;
  bool in_transaction() const override { return in_transaction_; }

 private:
  [[noreturn]] void fail(std::string_view sql, const std::string& what, const char* message);
  // With mutex_ held, before a statement: an owned connection the server
  // dropped is opened again when no transaction is open (the statement
  // that found it dropped failed; the next works once the server is back).
  // Prepared statements belong to a session: when the connection's backend
  // changed (a borrowed one the store reopened, or ours), they are
  // prepared again.
  void check_session();

  pg_conn* conn_ = nullptr;
  bool owned_ = false;
  std::recursive_mutex mutex_;
  bool in_transaction_ = false;
  std::string prefix_;                                     // of this instance's statement names
  std::unordered_map<std::string, std::string> prepared_;  // text -> name
  int backend_pid_ = 0;                                    // the session prepared_ belongs to
};

}  // namespace kci::store
