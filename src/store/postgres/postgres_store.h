// SPDX-License-Identifier: LGPL-2.1-or-later
// The PostgreSQL driver ("postgresql:CONNINFO", libpq conninfo syntax, e.g.
// "postgresql:host=127.0.0.1 port=5432 dbname=kcidb user=kci"; empty =
// libpq's defaults and PG* environment variables).
//
// A load is one transaction. Each object list whose ids are not stored is
// COPied straight into its table (in a savepoint; a unique violation, from
// an id stored meanwhile, rolls it back); the others stream with COPY into a
// per-connection temporary staging table, merged into the real table with
// one INSERT ... SELECT ... ORDER BY id ON CONFLICT DO UPDATE. Rows go in id
// (byte) order on both paths, so concurrent loads of overlapping ids lock
// rows in the same order and wait for each other instead of deadlocking.
#pragma once

#include <mutex>
#include <set>

#include "store/postgres/postgres_sql.h"
#include "store/store.h"

struct pg_conn;
struct pg_result;

namespace kci::store {

struct TableInfo;

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

 protected:
  std::string describe() const override;
  std::string spec_hint() const override;
  SqlConnection& sql_locked() override;

 private:
  class Result;
  Result exec(const std::string& sql);
  Result exec(const std::string& sql, const std::vector<const char*>& params);
  // False when the COPY failed with `tolerated_sqlstate` (the transaction
  // is then aborted up to the last savepoint); any other failure throws.
  bool copy_in(const std::string& sql, const std::string& data,
               const char* tolerated_sqlstate = nullptr);
  bool copy_new_rows(const TableInfo& t, const std::string& data);
  template <typename T>
  bool any_stored(const TableInfo& t, const std::vector<T>& list,
                  const std::vector<std::size_t>& order);
  [[noreturn]] void fail(const std::string& what);
  std::string where() const;
  template <typename Fn>
  void transaction(Fn fn);
  // With mutex_ held, at the start of an operation (never inside a
  // transaction): a connection the server dropped (a restart, a failover, a
  // terminated backend) is opened again, with the session set up anew
  // (time zone, staging tables, prepared statements). The operation that
  // found it dropped failed; the next one works once the server is back.
  void reconnect_if_lost();
  void set_up_session();

  pg_conn* conn_ = nullptr;
  // conn_ as a SqlConnection (migrations, Store::with_sql).
  std::unique_ptr<PostgresSql> sql_;
  std::set<std::string> staging_created_;  // temporary tables of this connection
};

}  // namespace kci::store
