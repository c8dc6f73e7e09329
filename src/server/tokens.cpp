// SPDX-License-Identifier: LGPL-2.1-or-later
#include "server/tokens.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>

#include "report/model.h"
#include "util/sha256.h"
#include "util/time.h"

namespace kci::server {

namespace {

using store::StoreError;

constexpr const char* kColumns = "id, origins, admin, comment, created_at, revoked_at";

std::string new_token() { return "kci_" + random_hex(32); }

TokenInfo make_info(std::string id, std::string_view origins_json, bool admin,
                    std::string comment, std::string created_at,
                    std::optional<std::string> revoked_at) {
  TokenInfo info;
  info.id = std::move(id);
  info.origins = report::parse_text_array(origins_json);
  info.admin = admin;
  info.comment = std::move(comment);
  info.created_at = std::move(created_at);
  info.revoked_at = std::move(revoked_at);
  return info;
}

// The token queries, written once: SQLite and PostgreSQL both take $N
// parameters (SQLite numbers them in order of appearance, so each must
// appear once, in order). A driver runs one statement and turns its rows
// into TokenInfo; everything else is here.
class SqlTokenStore : public TokenStore {
 public:
  std::string add(const std::vector<std::string>& origins, bool admin,
                  const std::string& comment, TokenInfo* info) final {
    std::string token = new_token();
    std::string id = random_hex(6);
    std::string created = now_rfc3339();
    std::string origins_json = report::text_array_json(origins);
    exec("INSERT INTO kci_tokens (id, hash, origins, admin, comment, created_at) "
         "VALUES ($1, $2, $3, $4, $5, $6)",
         {id, sha256_hex(token), origins_json, boolean(admin), comment, created}, nullptr);
    if (info) *info = make_info(id, origins_json, admin, comment, created, std::nullopt);
    return token;
  }

  std::vector<TokenInfo> list() final {
    std::vector<TokenInfo> out;
    exec(std::string("SELECT ") + kColumns + " FROM kci_tokens ORDER BY created_at, id", {},
         &out);
    return out;
  }

  bool revoke(const std::string& id) final {
    return exec("UPDATE kci_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                {now_rfc3339(), id}, nullptr) > 0;
  }

  std::optional<TokenInfo> authenticate(std::string_view token) final {
    std::vector<TokenInfo> out;
    exec(std::string("SELECT ") + kColumns +
             " FROM kci_tokens WHERE hash = $1 AND revoked_at IS NULL",
         {sha256_hex(token)}, &out);
    if (out.empty()) return std::nullopt;
    return out.front();
  }

 protected:
  // Runs one statement with text parameters; appends the rows of a SELECT
  // of kColumns to rows. Returns the rows changed or returned.
  virtual std::size_t exec(const std::string& sql, const std::vector<std::string>& params,
                           std::vector<TokenInfo>* rows) = 0;
  // The text of a boolean parameter for the admin column.
  virtual std::string boolean(bool b) const = 0;
};

class SqliteTokenStore final : public SqlTokenStore {
 public:
  explicit SqliteTokenStore(const std::string& path) {
    int rc = sqlite3_open_v2(path.c_str(), &db_,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      throw StoreError("sqlite:" + path + ": cannot open for tokens: " + why);
    }
    // The ingester writes to the same file: wait for its transactions.
    sqlite3_busy_timeout(db_, 10000);
  }
  ~SqliteTokenStore() override { sqlite3_close(db_); }

 private:
  std::string boolean(bool b) const override { return b ? "1" : "0"; }  // INTEGER column

  std::size_t exec(const std::string& sql, const std::vector<std::string>& params,
                   std::vector<TokenInfo>* rows) override {
    std::lock_guard lock(mutex_);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      throw StoreError(std::string("tokens: ") + sqlite3_errmsg(db_));
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      sqlite3_bind_text(stmt, static_cast<int>(i + 1), params[i].data(),
                        static_cast<int>(params[i].size()), SQLITE_TRANSIENT);
    }
    std::size_t n = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      ++n;
      if (!rows) continue;
      auto text = [&](int col) -> std::optional<std::string> {
        const unsigned char* p = sqlite3_column_text(stmt, col);
        if (!p) return std::nullopt;
        return std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt, col)));
      };
      rows->push_back(make_info(text(0).value_or(""), text(1).value_or("[]"),
                                sqlite3_column_int(stmt, 2) != 0, text(3).value_or(""),
                                text(4).value_or(""), text(5)));
    }
    std::string why = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db_);
    if (why.empty() && sqlite3_stmt_readonly(stmt) == 0) {
      n = static_cast<std::size_t>(sqlite3_changes(db_));
    }
    sqlite3_finalize(stmt);
    if (!why.empty()) throw StoreError("tokens: " + why);
    return n;
  }

  sqlite3* db_ = nullptr;
  std::mutex mutex_;
};

class PostgresTokenStore final : public SqlTokenStore {
 public:
  explicit PostgresTokenStore(const std::string& conninfo) {
    conn_ = PQconnectdb(conninfo.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string why = PQerrorMessage(conn_);
      PQfinish(conn_);
      throw StoreError("postgresql: cannot connect for tokens: " + why);
    }
  }
  ~PostgresTokenStore() override { PQfinish(conn_); }

 private:
  std::string boolean(bool b) const override { return b ? "true" : "false"; }

  std::size_t exec(const std::string& sql, const std::vector<std::string>& params,
                   std::vector<TokenInfo>* rows) override {
    std::lock_guard lock(mutex_);
    if (PQstatus(conn_) != CONNECTION_OK) PQreset(conn_);
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    PGresult* res = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                 values.data(), nullptr, nullptr, 0);
    ExecStatusType status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      std::string why = PQresultErrorMessage(res);
      PQclear(res);
      throw StoreError("tokens: " + why);
    }
    std::size_t n;
    if (status == PGRES_TUPLES_OK) {
      n = static_cast<std::size_t>(PQntuples(res));
      for (int r = 0; rows && r < PQntuples(res); ++r) {
        auto text = [&](int col) -> std::optional<std::string> {
          if (PQgetisnull(res, r, col)) return std::nullopt;
          return std::string(PQgetvalue(res, r, col),
                             static_cast<std::size_t>(PQgetlength(res, r, col)));
        };
        rows->push_back(make_info(text(0).value_or(""), text(1).value_or("[]"),
                                  text(2).value_or("f") == "t", text(3).value_or(""),
                                  text(4).value_or(""), text(5)));
      }
    } else {
      n = static_cast<std::size_t>(std::atoll(PQcmdTuples(res)));
    }
    PQclear(res);
    return n;
  }

  PGconn* conn_ = nullptr;
  std::mutex mutex_;
};

}  // namespace

bool TokenInfo::may_write(const std::string& origin) const {
  return admin || std::find(origins.begin(), origins.end(), origin) != origins.end();
}

std::string TokenInfo::label() const { return comment.empty() ? "token:" + id : comment; }

const std::vector<store::Migration>& token_migrations() {
  static const std::vector<store::Migration> migrations = {
      {1, "submission tokens (SHA-256 of each token, the origins it may write)",
       "CREATE TABLE kci_tokens (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, "
       "origins TEXT NOT NULL, admin INTEGER NOT NULL, comment TEXT NOT NULL, "
       "created_at TEXT NOT NULL, revoked_at TEXT)",
       "CREATE TABLE kci_tokens (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, "
       "origins TEXT NOT NULL, admin BOOLEAN NOT NULL, comment TEXT NOT NULL, "
       "created_at TEXT NOT NULL, revoked_at TEXT)"},
  };
  return migrations;
}

std::unique_ptr<TokenStore> TokenStore::open(store::Store& store) {
  store.apply_migrations("tokens", token_migrations());
  const store::DatabaseSpec& spec = store.spec();
  if (spec.driver == store::Driver::kPostgresql) {
    return std::make_unique<PostgresTokenStore>(spec.params);
  }
  if (spec.params == ":memory:" || spec.params.empty()) {
    throw StoreError("tokens need a database file: an in-memory SQLite database is private "
                     "to one connection");
  }
  return std::make_unique<SqliteTokenStore>(spec.params);
}

std::string bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    // The scheme is case-insensitive (RFC 7235).
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return {};
    }
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty() || token.size() > kMaxTokenBytes) return {};
  return std::string(token);
}

}  // namespace kci::server
