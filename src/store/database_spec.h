// SPDX-License-Identifier: LGPL-2.1-or-later
// Database spec strings as kcidb's tools take them with -d: DRIVER:PARAMS,
// e.g. "sqlite:results.db", "sqlite::memory:", "postgresql:host=... dbname=...".
#pragma once

#include <optional>
#include <string>

namespace kci::store {

enum class Driver { kSqlite, kPostgresql };

struct DatabaseSpec {
  Driver driver = Driver::kSqlite;
  std::string params;  // SQLite path or ":memory:"; libpq conninfo (may be empty)
  std::string str() const;
};

// The environment variable naming the default database.
inline constexpr const char* kDatabaseEnv = "KCI_DATABASE";

// Parses a spec. Throws UsageError naming the supported drivers.
DatabaseSpec parse_database_spec(const std::string& spec);

// The spec given with -d, else $KCI_DATABASE; UsageError if neither.
DatabaseSpec database_spec_from(const std::optional<std::string>& option);

}  // namespace kci::store
