// SPDX-License-Identifier: LGPL-2.1-or-later
// The one SQL facility of kci: a connection to the store's database (SQLite
// or PostgreSQL) for the tables of components other than the store's own
// result tables: tokens, the change log, analysis, triage, the outbox, nodes.
// Components write their SQL once, with $1..$N parameters (on SQLite they
// become ?1..?N, so a parameter may appear several times and in any order),
// and give per-driver text only where the dialects differ (column types in
// migrations, mostly). Every value is bound, never pasted into SQL.
//
// Threads: a connection serialises its own calls, and begin() holds the
// connection for the calling thread until commit() or rollback(), so another
// thread's statements never land inside someone else's transaction (they wait).
// For parallel work open one connection per thread. Statements are prepared
// once per connection and cached by their text.
//
// The store's own connection is reachable with Store::with_sql() (the only
// way to reach a SQLite ":memory:" database, which is private to its
// connection); migrations of every component, the store's included, run
// through SqlConnection::apply_migrations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "store/database_spec.h"
#include "util/error.h"

namespace kci::store {

// The database failed, or is not in a state for the operation (not
// initialised, newer schema than this kci). The message says what to do.
class StoreError : public Error {
 public:
  using Error::Error;
};

// One forward schema step of a component. Steps are applied in version
// order, each in the same transaction as the bump of the recorded version.
struct Migration {
  int version;              // 1, 2, ...: the component's version after this step
  std::string description;  // one line, for logs and `kci db version`
  std::string sqlite_sql;   // statements separated by ';'
  std::string postgresql_sql;
};

// A parameter or a column value: text, or NULL. Numbers and booleans travel
// as text ("42", "1.5"; booleans as sql_bool()).
using SqlValue = std::optional<std::string>;

// One row of a result, valid only inside the row callback.
class SqlRow {
 public:
  virtual ~SqlRow() = default;
  virtual std::size_t size() const = 0;
  virtual bool is_null(std::size_t column) const = 0;
  // The column as text ("" for NULL).
  virtual std::string_view text(std::size_t column) const = 0;
  std::optional<std::string> optional_text(std::size_t column) const;
  // Throws StoreError when the column is NULL or not an integer.
  std::int64_t integer(std::size_t column) const;
  double real(std::size_t column) const;
  // SQLite 0/1, PostgreSQL t/f.
  bool boolean(std::size_t column) const;
};

using SqlRowCallback = std::function<void(const SqlRow&)>;

class SqlConnection {
 public:
  // Opens a new connection to the database of spec (which `kci db init`
  // made). Throws StoreError.
  static std::unique_ptr<SqlConnection> open(const DatabaseSpec& spec);

  virtual ~SqlConnection() = default;
  SqlConnection(const SqlConnection&) = delete;
  SqlConnection& operator=(const SqlConnection&) = delete;

  Driver driver() const { return spec_.driver; }
  const DatabaseSpec& spec() const { return spec_; }
  // What messages call the database, e.g. "SQLite database kci.db" (never a
  // password of a PostgreSQL connection string).
  virtual std::string describe() const = 0;

  // Runs one statement with bound parameters; calls on_row for each row it
  // returns. Returns the number of rows returned, or for a statement that
  // returns none, the number of rows it changed. Throws StoreError naming
  // the statement's first words and the database's message.
  virtual std::size_t exec(std::string_view sql, const std::vector<SqlValue>& params = {},
                           const SqlRowCallback& on_row = nullptr) = 0;
  // Statements separated by ';', no parameters, no rows (DDL).
  virtual void exec_script(std::string_view sql) = 0;

  // Transactions. begin() on SQLite takes the write lock at once (BEGIN
  // IMMEDIATE) so two writers never deadlock on a lock upgrade.
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;
  // Runs f() in a transaction: committed when f returns, rolled back when
  // it throws.
  template <typename F>
  decltype(auto) transaction(F&& f);

  // Applies the not yet applied migrations of `component` (the versions
  // recorded in kci_meta beside the store's own), each step in one
  // transaction with its version bump. Returns the version afterwards.
  int apply_migrations(const std::string& component, const std::vector<Migration>& migrations);
  int component_version(const std::string& component);

  // The text of a boolean parameter for this driver.
  std::string sql_bool(bool b) const {
    return driver() == Driver::kSqlite ? (b ? "1" : "0") : (b ? "t" : "f");
  }
  // True while this connection is inside begin() ... commit()/rollback().
  virtual bool in_transaction() const = 0;

 protected:
  explicit SqlConnection(DatabaseSpec spec) : spec_(std::move(spec)) {}

 private:
  DatabaseSpec spec_;
};

template <typename F>
decltype(auto) SqlConnection::transaction(F&& f) {
  begin();
  try {
    if constexpr (std::is_void_v<decltype(f())>) {
      f();
      commit();
    } else {
      decltype(auto) result = f();
      commit();
      return result;
    }
  } catch (...) {
    try {
      rollback();
    } catch (...) {
    }
    throw;
  }
}

// SQLite's form of a statement written with $N parameters: $N becomes ?N
// outside string literals, quoted identifiers and comments.
std::string sqlite_parameters(std::string_view sql);

}  // namespace kci::store
