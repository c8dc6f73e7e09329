// SPDX-License-Identifier: LGPL-2.1-or-later
#include "store/database_spec.h"

#include <cstdlib>

#include "util/error.h"

namespace kci::store {

std::string DatabaseSpec::str() const {
  return (driver == Driver::kSqlite ? "sqlite:" : "postgresql:") + params;
}

DatabaseSpec parse_database_spec(const std::string& spec) {
  auto colon = spec.find(':');
  std::string driver = spec.substr(0, colon);
  std::string params = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (driver == "sqlite") {
    if (params.empty()) {
      throw UsageError("database spec '" + spec +
                       "': sqlite needs a file path or :memory:, e.g. sqlite:results.db");
    }
    return {Driver::kSqlite, params};
  }
  if (driver == "postgresql" || driver == "postgres") {
    return {Driver::kPostgresql, params};
  }
  throw UsageError("database spec '" + spec +
                   "': unknown driver; use sqlite:PATH, sqlite::memory: or postgresql:CONNINFO");
}

DatabaseSpec database_spec_from(const std::optional<std::string>& option) {
  if (option && !option->empty()) return parse_database_spec(*option);
  const char* env = std::getenv(kDatabaseEnv);
  if (env && *env) return parse_database_spec(env);
  throw UsageError(std::string("no database given: use -d sqlite:PATH or -d postgresql:CONNINFO, "
                               "or set ") +
                   kDatabaseEnv);
}

}  // namespace kci::store
