// SPDX-License-Identifier: LGPL-2.1-or-later
// The PostgreSQL driver ("postgresql:CONNINFO", libpq conninfo syntax, e.g.
// "postgresql:host=127.0.0.1 port=5432 dbname=kcidb user=kci"; empty =
// libpq's defaults and PG* environment variables).
//
// Loads stream each object list into a per-connection temporary staging
// table with COPY, then merge it into the real table with one
// INSERT ... SELECT ... ORDER BY id ON CONFLICT DO UPDATE, all in one
// transaction. The id order makes concurrent loads of overlapping ids lock
// rows in the same order, so they wait for each other instead of
// deadlocking.
#pragma once

#include <mutex>
#include <set>

#include "store/store.h"

struct pg_conn;
struct pg_result;

namespace kci::store {

class PostgresStore : public Store {
 public:
  explicit PostgresStore(const DatabaseSpec& spec);
  ~PostgresStore() override;

  void cleanup() override;
  void empty() override;
  std::size_t purge(const std::string& before) override;
  void load(report::Report report, const LoadOptions& options) override;
  using Store::load;
  void select(report::ObjectType type, const Selection& selection, bool with_metadata,
              report::Report& out) override;
  int apply_migrations(const std::string& component,
                       const std::vector<Migration>& migrations) override;

 protected:
  std::string describe() const override;
  std::string spec_hint() const override;
  int component_version_locked(const std::string& component) override;

 private:
  class Result;
  Result exec(const std::string& sql);
  Result exec(const std::string& sql, const std::vector<const char*>& params);
  void copy_in(const std::string& sql, const std::string& data);
  [[noreturn]] void fail(const std::string& what);
  std::string where() const;
  template <typename Fn>
  void transaction(Fn fn);

  pg_conn* conn_ = nullptr;
  std::set<std::string> staging_created_;  // temporary tables of this connection
};

}  // namespace kci::store
