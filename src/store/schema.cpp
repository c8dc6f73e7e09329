// SPDX-License-Identifier: LGPL-2.1-or-later
#include "store/schema.h"

#include <algorithm>
#include <iterator>

namespace kci::store {

using report::FieldKind;
using report::ObjectType;

namespace {

std::vector<IndexInfo> plain(const std::string& table, std::vector<std::string> columns) {
  std::vector<IndexInfo> out;
  // Columns kci's queries select by, indexed in SQLite too.
  static const char* const kQueried[] = {"_timestamp", "checkout_id", "build_id", "test_id",
                                         "issue_id"};
  for (const auto& c : columns) {
    bool queried = std::find(std::begin(kQueried), std::end(kQueried), c) != std::end(kQueried);
    out.push_back({table + "_" + c, c, false, queried});
  }
  return out;
}

std::vector<TableInfo> make_tables() {
  std::vector<TableInfo> t;
  {
    auto idx = plain("checkouts",
                     {"_timestamp", "origin", "start_time", "git_repository_url",
                      "git_repository_branch", "valid", "tree_name", "origin_builds_finish_time",
                      "origin_tests_finish_time", "git_repository_branch_tip"});
    idx.push_back({"checkouts_git_commit_hash_patchset_hash", "git_commit_hash, patchset_hash"});
    idx.push_back({"checkouts_git_commit_tags", "git_commit_tags", true});
    t.push_back(
        {ObjectType::kCheckout, "checkouts", {"id"}, &report::fields_of<report::Checkout>(), idx});
  }
  t.push_back({ObjectType::kBuild,
               "builds",
               {"id"},
               &report::fields_of<report::Build>(),
               plain("builds", {"_timestamp", "checkout_id", "origin", "start_time", "architecture",
                                "config_name", "compiler", "status"})});
  {
    auto idx = plain("tests", {"_timestamp", "build_id", "origin", "start_time", "path", "status",
                               "number_value", "number_unit"});
    idx.push_back({"tests_environment_compatible", "environment_compatible", true});
    t.push_back({ObjectType::kTest, "tests", {"id"}, &report::fields_of<report::Test>(), idx});
  }
  {
    auto idx = plain("issues", {"_timestamp", "origin", "report_url", "culprit_code",
                                "culprit_tool", "culprit_harness"});
    idx.push_back({"issues_categories", "categories", true});
    t.push_back({ObjectType::kIssue,
                 "issues",
                 {"id", "version"},
                 &report::fields_of<report::Issue>(),
                 idx});
  }
  t.push_back({ObjectType::kIncident,
               "incidents",
               {"id"},
               &report::fields_of<report::Incident>(),
               plain("incidents", {"_timestamp", "build_id", "test_id", "issue_id", "issue_version",
                                   "present", "origin"})});
  return t;
}

const char* sqlite_type(FieldKind kind) {
  switch (kind) {
    case FieldKind::kFloat: return "REAL";
    case FieldKind::kInteger: return "INTEGER";
    case FieldKind::kBool: return "INTEGER";
    default: return "TEXT";
  }
}

std::string create_table(const TableInfo& t, bool postgres) {
  std::string sql = "CREATE TABLE IF NOT EXISTS " + t.name + " (";
  bool first = true;
  for (const auto& f : *t.fields) {
    if (!first) sql += ", ";
    first = false;
    sql += f.column;
    sql += ' ';
    sql += postgres ? f.pg_type : sqlite_type(f.kind);
    if (f.not_null) sql += " NOT NULL";
  }
  sql += ", PRIMARY KEY (";
  for (std::size_t i = 0; i < t.key.size(); ++i) sql += (i ? ", " : "") + t.key[i];
  sql += "));\n";
  for (const auto& ix : t.indexes) {
    if (!postgres && !ix.sqlite) continue;
    sql += "CREATE INDEX IF NOT EXISTS " + ix.name + " ON " + t.name +
           (ix.gin ? " USING GIN (" : " (") + ix.columns + ");\n";
  }
  return sql;
}

std::vector<Migration> make_migrations() {
  std::string sqlite_v1;
  std::string pg_v1 =
      // The enum types and version function of kcidb's v5.3 schema, so
      // kcidb's own tools recognise the database.
      "DO $$ BEGIN\n"
      "  CREATE TYPE STATUS AS ENUM ('FAIL', 'ERROR', 'MISS', 'PASS', 'DONE', 'SKIP');\n"
      "EXCEPTION WHEN duplicate_object THEN NULL; END $$;\n"
      "DO $$ BEGIN\n"
      "  CREATE TYPE UNIT_PREFIX AS ENUM ('metric', 'binary');\n"
      "EXCEPTION WHEN duplicate_object THEN NULL; END $$;\n"
      "CREATE OR REPLACE FUNCTION get_version() RETURNS INTEGER AS $$ SELECT " +
      std::to_string(kIoVersionCode) + " $$ LANGUAGE SQL IMMUTABLE;\n";
  for (ObjectType type : report::kObjectTypes) {
    sqlite_v1 += create_table(table_info(type), false);
    pg_v1 += create_table(table_info(type), true);
  }
  sqlite_v1 += "PRAGMA user_version = " + std::to_string(kIoVersionCode) + ";\n";
  return {{1, "KCIDB v5.3 tables (kcidb PostgreSQL layout)", sqlite_v1, pg_v1}};
}

}  // namespace

const TableInfo& table_info(ObjectType type) {
  static const std::vector<TableInfo> tables = make_tables();
  return tables.at(static_cast<std::size_t>(type));
}

const std::vector<Migration>& store_migrations() {
  static const std::vector<Migration> migrations = make_migrations();
  return migrations;
}

std::vector<std::string> split_sql(const std::string& script) {
  std::vector<std::string> out;
  std::string cur;
  bool in_quote = false;
  bool in_dollar = false;
  for (std::size_t i = 0; i < script.size(); ++i) {
    char c = script[i];
    if (!in_quote && c == '$' && i + 1 < script.size() && script[i + 1] == '$') {
      in_dollar = !in_dollar;
      cur += "$$";
      ++i;
      continue;
    }
    if (!in_dollar && c == '\'') in_quote = !in_quote;
    if (c == ';' && !in_quote && !in_dollar) {
      if (cur.find_first_not_of(" \t\n") != std::string::npos) out.push_back(cur);
      cur.clear();
      continue;
    }
    cur.push_back(c);
  }
  if (cur.find_first_not_of(" \t\n") != std::string::npos) out.push_back(cur);
  return out;
}

}  // namespace kci::store
