// SPDX-License-Identifier: LGPL-2.1-or-later
// An interim SQLite-only implementation of store/sql.h, compiled into
// kci_web only while the store layer does not define SqlConnection itself
// (see src/web/CMakeLists.txt). It goes away when the store's lands.
#include <sqlite3.h>

#include <charconv>
#include <unordered_map>

#include "store/sql.h"
#include "store/store.h"

namespace kci::store {

std::optional<std::string> SqlRow::optional_text(std::size_t column) const {
  if (is_null(column)) return std::nullopt;
  return std::string(text(column));
}

std::int64_t SqlRow::integer(std::size_t column) const {
  std::string_view t = text(column);
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (is_null(column) || ec != std::errc() || p != t.data() + t.size()) {
    throw StoreError("column " + std::to_string(column) + " is not an integer");
  }
  return v;
}

double SqlRow::real(std::size_t column) const {
  if (is_null(column)) throw StoreError("column " + std::to_string(column) + " is NULL");
  return std::stod(std::string(text(column)));
}

bool SqlRow::boolean(std::size_t column) const {
  std::string_view t = text(column);
  return t == "1" || t == "t" || t == "true";
}

namespace {

class SqliteRow : public SqlRow {
 public:
  explicit SqliteRow(sqlite3_stmt* s) : s_(s) {}
  std::size_t size() const override { return static_cast<std::size_t>(sqlite3_column_count(s_)); }
  bool is_null(std::size_t c) const override {
    return sqlite3_column_type(s_, static_cast<int>(c)) == SQLITE_NULL;
  }
  std::string_view text(std::size_t c) const override {
    const unsigned char* p = sqlite3_column_text(s_, static_cast<int>(c));
    if (!p) return {};
    return {reinterpret_cast<const char*>(p),
            static_cast<std::size_t>(sqlite3_column_bytes(s_, static_cast<int>(c)))};
  }

 private:
  sqlite3_stmt* s_;
};

class SqliteConnection : public SqlConnection {
 public:
  explicit SqliteConnection(const DatabaseSpec& spec) : SqlConnection(spec) {
    int rc =
        sqlite3_open_v2(spec.params.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw StoreError("cannot open " + spec.str() + ": " + msg);
    }
    sqlite3_busy_timeout(db_, 30000);
  }
  ~SqliteConnection() override {
    for (auto& [k, s] : cache_) sqlite3_finalize(s);
    sqlite3_close(db_);
  }

  std::size_t exec(std::string_view sql, const std::vector<SqlValue>& params,
                   const SqlRowCallback& on_row) override {
    sqlite3_stmt* s = prepare(sql);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    for (std::size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i + 1);
      if (params[i]) {
        sqlite3_bind_text(s, idx, params[i]->data(), static_cast<int>(params[i]->size()),
                          SQLITE_TRANSIENT);
      } else {
        sqlite3_bind_null(s, idx);
      }
    }
    std::size_t rows = 0;
    SqliteRow row(s);
    for (;;) {
      int rc = sqlite3_step(s);
      if (rc == SQLITE_ROW) {
        ++rows;
        if (on_row) on_row(row);
      } else if (rc == SQLITE_DONE) {
        break;
      } else {
        std::string msg = sqlite3_errmsg(db_);
        sqlite3_reset(s);
        throw StoreError(std::string(sql.substr(0, 40)) + "...: " + msg);
      }
    }
    sqlite3_reset(s);
    if (sqlite3_column_count(s) == 0) rows = static_cast<std::size_t>(sqlite3_changes(db_));
    return rows;
  }

  void exec_script(std::string_view sql) override {
    char* err = nullptr;
    if (sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "error";
      sqlite3_free(err);
      throw StoreError(msg);
    }
  }
  void begin() override { exec_script("BEGIN IMMEDIATE"); }
  void commit() override { exec_script("COMMIT"); }
  void rollback() override { exec_script("ROLLBACK"); }

 private:
  sqlite3_stmt* prepare(std::string_view sql) {
    std::string key(sql);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    std::string text = key;
    for (char& c : text) {
      if (c == '$') c = '?';
    }
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, text.c_str(), -1, &s, nullptr) != SQLITE_OK) {
      throw StoreError(key.substr(0, 60) + "...: " + sqlite3_errmsg(db_));
    }
    cache_.emplace(key, s);
    return s;
  }

  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace

std::unique_ptr<SqlConnection> SqlConnection::open(const DatabaseSpec& spec) {
  if (spec.driver != Driver::kSqlite) {
    throw StoreError("this build's interim SQL facility supports SQLite only");
  }
  return std::make_unique<SqliteConnection>(spec);
}

}  // namespace kci::store
