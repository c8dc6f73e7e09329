// SPDX-License-Identifier: LGPL-2.1-or-later
#include "store/sqlite/sqlite_sql.h"

#include <sqlite3.h>

#include "store/store.h"

namespace kci::store {

namespace {

class SqliteRow final : public SqlRow {
 public:
  explicit SqliteRow(sqlite3_stmt* s) : s_(s) {}
  std::size_t size() const override { return static_cast<std::size_t>(sqlite3_column_count(s_)); }
  bool is_null(std::size_t c) const override {
    return sqlite3_column_type(s_, static_cast<int>(c)) == SQLITE_NULL;
  }
  std::string_view text(std::size_t c) const override {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, static_cast<int>(c)));
    if (!p) return {};
    return {p, static_cast<std::size_t>(sqlite3_column_bytes(s_, static_cast<int>(c)))};
  }

 private:
  sqlite3_stmt* s_;
};

// The first words of a statement, for messages.
std::string head(std::string_view sql) {
  std::string out(sql.substr(0, 80));
  for (char& c : out) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return sql.size() > 80 ? out + "..." : out;
}

}  // namespace

SqliteSql::SqliteSql(const DatabaseSpec& spec) : SqlConnection(spec), owned_(true) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (spec.params == ":memory:") flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(spec.params.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError("cannot open SQLite database " + spec.params + ": " + why +
                     " (run `kci db init -d " + spec.str() + "` first)");
  }
  // Other connections (the store's loads, other processes) hold the write
  // lock for a load at a time: wait for them.
  sqlite3_busy_timeout(db_, 60000);
  exec_script("PRAGMA synchronous = NORMAL");
}

SqliteSql::SqliteSql(const DatabaseSpec& spec, sqlite3* borrowed)
    : SqlConnection(spec), db_(borrowed), owned_(false) {}

SqliteSql::~SqliteSql() {
  clear_cache();
  if (owned_) sqlite3_close(db_);
}

void SqliteSql::clear_cache() {
  std::lock_guard lock(mutex_);
  for (auto& [text, c] : cache_) sqlite3_finalize(c.stmt);
  cache_.clear();
}

std::string SqliteSql::describe() const { return "SQLite database " + spec().params; }

void SqliteSql::fail(std::string_view sql, const std::string& what) {
  throw StoreError(describe() + ": " + what + " (in \"" + head(sql) +
                   "\"): " + sqlite3_errmsg(db_));
}

std::size_t SqliteSql::exec(std::string_view sql, const std::vector<SqlValue>& params,
                            const SqlRowCallback& on_row) {
  std::lock_guard lock(mutex_);
  std::string text(sql);
  auto it = cache_.find(text);
  sqlite3_stmt* own = nullptr;  // a statement for a nested use of a busy cached one
  Cached* cached = nullptr;
  if (it != cache_.end() && !it->second.busy) {
    cached = &it->second;
  } else {
    std::string translated = sqlite_parameters(sql);
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, translated.c_str(), static_cast<int>(translated.size()), &s,
                           nullptr) != SQLITE_OK) {
      fail(sql, "cannot prepare");
    }
    if (it == cache_.end()) {
      cached = &cache_.emplace(std::move(text), Cached{s, false}).first->second;
    } else {
      own = s;
    }
  }
  sqlite3_stmt* s = own ? own : cached->stmt;
  struct Release {
    sqlite3_stmt* s;
    sqlite3_stmt* own;
    Cached* cached;
    ~Release() {
      if (own) {
        sqlite3_finalize(own);
      } else {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        cached->busy = false;
      }
    }
  } release{s, own, cached};
  if (cached && !own) cached->busy = true;

  const int expected = sqlite3_bind_parameter_count(s);
  if (static_cast<int>(params.size()) != expected) {
    throw StoreError(describe() + ": \"" + head(sql) + "\" takes " + std::to_string(expected) +
                     " parameters, given " + std::to_string(params.size()));
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    const int n = static_cast<int>(i + 1);
    int rc = params[i] ? sqlite3_bind_text(s, n, params[i]->data(),
                                           static_cast<int>(params[i]->size()), SQLITE_STATIC)
                       : sqlite3_bind_null(s, n);
    if (rc != SQLITE_OK) fail(sql, "cannot bind parameter " + std::to_string(n));
  }
  std::size_t rows = 0;
  int rc;
  SqliteRow row(s);
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    ++rows;
    if (on_row) on_row(row);
  }
  if (rc != SQLITE_DONE) fail(sql, "statement failed");
  if (rows == 0 && !sqlite3_stmt_readonly(s)) {
    return static_cast<std::size_t>(sqlite3_changes(db_));
  }
  return rows;
}

void SqliteSql::exec_script(std::string_view sql) {
  std::lock_guard lock(mutex_);
  std::string text(sql);
  char* err = nullptr;
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw StoreError(describe() + ": \"" + head(sql) + "\" failed: " + why);
  }
}

void SqliteSql::begin() {
  mutex_.lock();  // held until commit() or rollback()
  try {
    exec_script("BEGIN IMMEDIATE");
  } catch (...) {
    mutex_.unlock();
    throw;
  }
  in_transaction_ = true;
}

void SqliteSql::commit() {
  std::lock_guard lock(mutex_);
  if (!in_transaction_) throw StoreError(describe() + ": commit() without begin()");
  exec_script("COMMIT");  // on failure the transaction stays open for rollback()
  in_transaction_ = false;
  mutex_.unlock();
}

void SqliteSql::rollback() {
  std::lock_guard lock(mutex_);
  if (!in_transaction_) return;
  in_transaction_ = false;
  mutex_.unlock();
  // Fails harmlessly when SQLite already rolled back (e.g. after SQLITE_FULL).
  sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace kci::store
