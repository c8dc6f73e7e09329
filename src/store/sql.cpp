// SPDX-License-Identifier: LGPL-2.1-or-later
// Driver-independent parts of the SQL facility: row accessors, opening by
// spec, $N translation for SQLite, and per-component migrations (the one
// implementation; the store's own schema goes through it too).
#include "store/sql.h"

#include <charconv>
#include <cstdlib>

#include "store/postgres/postgres_sql.h"
#include "store/schema.h"
#include "store/sqlite/sqlite_sql.h"
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
    throw StoreError("column " + std::to_string(column) + " is not an integer: \"" +
                     std::string(t.substr(0, 40)) + "\"");
  }
  return v;
}

double SqlRow::real(std::size_t column) const {
  if (is_null(column)) throw StoreError("column " + std::to_string(column) + " is NULL");
  std::string t(text(column));
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (t.empty() || *end != '\0') {
    throw StoreError("column " + std::to_string(column) + " is not a number: \"" + t.substr(0, 40) +
                     "\"");
  }
  return v;
}

bool SqlRow::boolean(std::size_t column) const {
  std::string_view t = text(column);
  if (t == "1" || t == "t" || t == "true") return true;
  if (t == "0" || t == "f" || t == "false") return false;
  throw StoreError("column " + std::to_string(column) + " is not a boolean: \"" +
                   std::string(t.substr(0, 40)) + "\"");
}

std::unique_ptr<SqlConnection> SqlConnection::open(const DatabaseSpec& spec) {
  switch (spec.driver) {
    case Driver::kSqlite: return std::make_unique<SqliteSql>(spec);
    case Driver::kPostgresql: return std::make_unique<PostgresSql>(spec);
  }
  throw StoreError("unknown database driver");
}

int SqlConnection::component_version(const std::string& component) {
  bool exists = false;
  if (driver() == Driver::kSqlite) {
    exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", {kMetaTable},
         [&](const SqlRow&) { exists = true; });
  } else {
    exec("SELECT to_regclass($1) IS NOT NULL", {kMetaTable},
         [&](const SqlRow& r) { exists = r.boolean(0); });
  }
  if (!exists) return 0;
  int version = 0;
  exec(std::string("SELECT version FROM ") + kMetaTable + " WHERE component = $1", {component},
       [&](const SqlRow& r) { version = static_cast<int>(r.integer(0)); });
  return version;
}

int SqlConnection::apply_migrations(const std::string& component,
                                    const std::vector<Migration>& migrations) {
  return transaction([&] {
    // Serialises concurrent migrations of the same database (on SQLite,
    // BEGIN IMMEDIATE already holds the write lock).
    if (driver() == Driver::kPostgresql) exec("SELECT pg_advisory_xact_lock(4242003)");
    exec_script(std::string("CREATE TABLE IF NOT EXISTS ") + kMetaTable +
                " (component TEXT PRIMARY KEY, version INTEGER NOT NULL, description TEXT)");
    int current = component_version(component);
    int latest = migrations.empty() ? 0 : migrations.back().version;
    if (current > latest) {
      throw StoreError(describe() + " has " + component + " schema v" + std::to_string(current) +
                       ", newer than this kci knows (v" + std::to_string(latest) +
                       "): use a newer kci");
    }
    for (const auto& m : migrations) {
      if (m.version <= current) continue;
      exec_script(driver() == Driver::kSqlite ? m.sqlite_sql : m.postgresql_sql);
      exec(std::string("INSERT INTO ") + kMetaTable +
               " (component, version, description) VALUES ($1, $2, $3) "
               "ON CONFLICT (component) DO UPDATE SET version = excluded.version, "
               "description = excluded.description",
           {component, std::to_string(m.version), m.description});
      current = m.version;
    }
    return current;
  });
}

std::string sqlite_parameters(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  std::size_t i = 0;
  auto copy_until = [&](std::string_view end) {
    std::size_t e = sql.find(end, i);
    e = e == std::string_view::npos ? sql.size() : e + end.size();
    out.append(sql.substr(i, e - i));
    i = e;
  };
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '\'' || c == '"') {
      // A literal or quoted identifier; a doubled quote inside is an escape,
      // which this reads as two adjacent literals: the same text.
      out.push_back(c);
      ++i;
      copy_until(std::string_view(&c, 1));
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      copy_until("\n");
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      out += "/*";
      i += 2;
      copy_until("*/");
    } else if (c == '$' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      out.push_back('?');
      ++i;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

}  // namespace kci::store
