// SPDX-License-Identifier: LGPL-2.1-or-later
#include "server/tokens.h"

#include <algorithm>
#include <cctype>

#include "report/model.h"
#include "store/sql.h"
#include "util/error.h"
#include "util/secret.h"
#include "util/sha256.h"
#include "util/time.h"

namespace kci::server {

namespace {

using store::StoreError;

constexpr const char* kColumns = "id, origins, admin, comment, created_at, revoked_at, role";

std::string new_token() { return "kci_" + random_hex(32); }

TokenInfo make_info(std::string id, std::string_view origins_json, bool admin, std::string comment,
                    std::string created_at, std::optional<std::string> revoked_at, TokenRole role) {
  TokenInfo info;
  info.role = role;
  info.id = std::move(id);
  info.origins = report::parse_text_array(origins_json);
  info.admin = admin;
  info.comment = std::move(comment);
  info.created_at = std::move(created_at);
  info.revoked_at = std::move(revoked_at);
  return info;
}

// The token queries, written once with $N parameters for both drivers.
class SqlTokenStore final : public TokenStore {
 public:
  explicit SqlTokenStore(std::unique_ptr<store::SqlConnection> sql) : sql_(std::move(sql)) {}

  std::string add(const std::vector<std::string>& origins, bool admin, const std::string& comment,
                  TokenInfo* info, TokenRole role) override {
    std::string token = new_token();
    std::string id = random_hex(6);
    std::string created = now_rfc3339();
    std::string origins_json = report::text_array_json(origins);
    sql_->exec(
        "INSERT INTO kci_tokens (id, hash, origins, admin, comment, created_at, role) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        {id, sha256_hex(token), origins_json, sql_->sql_bool(admin), comment, created,
         std::string(role_name(role))});
    if (info) *info = make_info(id, origins_json, admin, comment, created, std::nullopt, role);
    return token;
  }

  std::vector<TokenInfo> list() override {
    return select(std::string("SELECT ") + kColumns + " FROM kci_tokens ORDER BY created_at, id",
                  {});
  }

  bool revoke(const std::string& id) override {
    return sql_->exec("UPDATE kci_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                      {now_rfc3339(), id}) > 0;
  }

  std::optional<TokenInfo> authenticate(std::string_view token) override {
    // Looked up by the SHA-256 of the token: an index lookup's timing can
    // at most tell something about a hash, which does not help to guess a
    // token. The stored hash is then compared in constant time.
    std::string hash = sha256_hex(token);
    std::string stored;
    std::vector<TokenInfo> out =
        select(std::string("SELECT ") + kColumns +
                   ", hash FROM kci_tokens WHERE hash = $1 AND revoked_at IS NULL",
               {hash}, &stored);
    if (out.empty() || !constant_time_equal(stored, hash)) return std::nullopt;
    return out.front();
  }

 private:
  // *hash: the 8th column of the (last) row, when the query selects it.
  std::vector<TokenInfo> select(const std::string& sql, const std::vector<store::SqlValue>& params,
                                std::string* hash = nullptr) {
    std::vector<TokenInfo> out;
    sql_->exec(sql, params, [&](const store::SqlRow& r) {
      if (hash) *hash = std::string(r.text(7));
      out.push_back(make_info(std::string(r.text(0)), r.is_null(1) ? "[]" : r.text(1), r.boolean(2),
                              std::string(r.text(3)), std::string(r.text(4)), r.optional_text(5),
                              parse_role(r.text(6))));
    });
    return out;
  }

  std::unique_ptr<store::SqlConnection> sql_;
};

}  // namespace

std::string_view role_name(TokenRole role) {
  switch (role) {
    case TokenRole::kSubmitter: return "submitter";
    case TokenRole::kWorker: return "worker";
    case TokenRole::kLava: return "lava";
  }
  return "submitter";
}

TokenRole parse_role(std::string_view name) {
  if (name == "submitter") return TokenRole::kSubmitter;
  if (name == "worker") return TokenRole::kWorker;
  if (name == "lava") return TokenRole::kLava;
  throw UsageError("unknown token role '" + std::string(name) + "' (submitter, worker, lava)");
}

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
      {2, "token roles (submitter, worker, lava)",
       "ALTER TABLE kci_tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'submitter'",
       "ALTER TABLE kci_tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'submitter'"},
  };
  return migrations;
}

std::unique_ptr<TokenStore> TokenStore::open(store::Store& store) {
  const store::DatabaseSpec& spec = store.spec();
  if (spec.driver == store::Driver::kSqlite && (spec.params == ":memory:" || spec.params.empty())) {
    throw StoreError(
        "tokens need a database file: an in-memory SQLite database is private "
        "to one connection");
  }
  store.apply_migrations("tokens", token_migrations());
  // A connection of its own: the server authenticates requests while the
  // ingester loads on the store's connection.
  return std::make_unique<SqlTokenStore>(store::SqlConnection::open(spec));
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
