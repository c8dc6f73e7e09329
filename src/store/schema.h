// SPDX-License-Identifier: LGPL-2.1-or-later
// The store's tables: kcidb's PostgreSQL v5.3 layout (same table, column
// and index names, same types), and the SQLite equivalent (JSON as text,
// timestamps as canonical UTC text, booleans as 0/1). The DDL of both
// dialects is generated from the model's field lists.
#pragma once

#include <string>
#include <vector>

#include "report/model.h"
#include "store/store.h"

namespace kci::store {

struct IndexInfo {
  std::string name;     // e.g. "checkouts__timestamp"
  std::string columns;  // e.g. "git_commit_hash, patchset_hash"
  bool gin = false;     // PostgreSQL GIN (array columns); not created in SQLite
  // Also created in SQLite. kcidb's SQLite schema has no secondary indexes;
  // kci's has only those its own queries use (dump windows and purge by
  // _timestamp, children by parent id), since each index costs loads a
  // B-tree insert per row.
  bool sqlite = false;
};

struct TableInfo {
  report::ObjectType type;
  std::string name;
  std::vector<std::string> key;  // primary key columns
  const std::vector<report::FieldInfo>* fields;
  std::vector<IndexInfo> indexes;
};

const TableInfo& table_info(report::ObjectType type);

// kcidb's encoding of the I/O version a database holds (major*1000+minor),
// as its PostgreSQL get_version() returns and SQLite's user_version holds.
inline constexpr int kIoVersionCode = 5003;
inline constexpr const char* kIoVersion = "5.3";

// The table where each component's schema version is recorded.
inline constexpr const char* kMetaTable = "kci_meta";
inline constexpr const char* kStoreComponent = "store";

// The store's own migrations, oldest first.
const std::vector<Migration>& store_migrations();

// The statements of a migration script, split on ';' outside quotes and
// $$-bodies.
std::vector<std::string> split_sql(const std::string& script);

}  // namespace kci::store
