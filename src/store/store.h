// SPDX-License-Identifier: LGPL-2.1-or-later
// The KCIDB store: one interface, two drivers (SQLite, PostgreSQL), tables
// laid out exactly like kcidb's PostgreSQL v5.3 schema so that tools reading
// a kcidb database can read ours.
//
// Loading merges each object with the stored one of the same identity (id;
// id+version for issues), per column: a present value is never erased by a
// missing one, and when both are present the newer load wins. A load is one
// transaction: the whole report is stored or none of it.
//
// Threads: every Store method locks the instance, so one Store may be shared
// between threads (calls are serialised on its single connection). For
// parallel loads open one Store per thread; the drivers are safe against
// concurrent writers on the same database (rows are written in id order, so
// two loads of overlapping ids cannot deadlock).
//
// Other modules (e.g. the submission server's tokens) may keep their own
// tables in the same database: give them a component name and a list of
// migrations and call apply_migrations(); their schema version is recorded
// beside the store's own.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "report/json.h"
#include "report/model.h"
#include "store/database_spec.h"
#include "store/sql.h"
#include "util/error.h"

namespace kci::store {

// The store's own schema version (of its kci_meta record) and the KCIDB I/O
// version its tables hold.
struct SchemaInfo {
  int store_version = 0;  // 0 = not initialised
  int latest_store_version = 0;
  std::string io_version;  // "5.3"
};

struct LoadOptions {
  // Keep the `_timestamp` of loaded objects (else: the load time).
  bool with_metadata = false;
  // Called inside the load's transaction with the store's connection (do
  // not begin or commit on it): before the first row is written, and after
  // the last one, before the commit. An exception rolls the load back. The
  // ingest layer reads the stored statuses and appends to its change log
  // here, so that the results and the log of their changes commit together.
  std::function<void(SqlConnection&)> before_write = nullptr;
  std::function<void(SqlConnection&)> after_write = nullptr;
};

// Ids to query, per type. Issues are (id, version) pairs.
struct QueryIds {
  std::vector<std::string> checkouts, builds, tests, incidents;
  std::vector<report::ObjectKey> issues;
  bool empty() const {
    return checkouts.empty() && builds.empty() && tests.empty() && incidents.empty() &&
           issues.empty();
  }
};

struct QueryOptions {
  bool children = false;  // add everything below: checkout->build->test->incident, build->incident,
                          // issue->incident
  bool parents = false;   // add everything above the (expanded) set
  bool with_metadata = false;
  // A step of the closure that looks up at least this many values is split
  // in two halves, read at the same time on a second connection to the
  // database (0: never). Not for an in-memory SQLite database, which a
  // second connection would not see.
  std::size_t split_min_values = kDefaultSplitMinValues;
  static constexpr std::size_t kDefaultSplitMinValues = 2048;
};

// Which rows a driver reads: all, a `_timestamp` window, or those whose
// column is one of the values.
struct Selection {
  std::string column;                // empty: no column filter
  std::vector<std::string> values;   // ids (or other text keys) for `column`
  std::optional<std::string> after;  // _timestamp > after (RFC 3339)
  std::optional<std::string> until;  // _timestamp <= until
};

class Store {
 public:
  virtual ~Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const DatabaseSpec& spec() const { return spec_; }

  // Creates the schema, or migrates an older one forward. With
  // ignore_initialized = false an already current database is an error
  // (as kcidb-db-init).
  void init(bool ignore_initialized = true);
  bool initialized();
  SchemaInfo schema_info();
  // Drops every table kci created (the store's and other components').
  virtual void cleanup() = 0;
  // Deletes every object, keeping the schema.
  virtual void empty() = 0;
  // Deletes objects whose _timestamp is before `before` (RFC 3339).
  // Returns how many were deleted.
  virtual std::size_t purge(const std::string& before) = 0;

  // Loads a typed report (deduplicated first with report::dedup).
  virtual void load(report::Report report, const LoadOptions& options = {}) = 0;
  // Loads a valid v5.x report document (validate + upgrade it first).
  void load(const json::Value& report, const LoadOptions& options = {});

  // Reads the rows of one type matching `selection`, appending to out.
  virtual void select(report::ObjectType type, const Selection& selection, bool with_metadata,
                      report::Report& out) = 0;

  // Objects by id (with parents/children), as one report.
  report::Report query(const QueryIds& ids, const QueryOptions& options);
  // Every object (in a _timestamp window), in reports of at most
  // objects_per_report objects (0 = one report), passed to sink in order
  // checkouts, builds, tests, issues, incidents.
  void dump(const Selection& window, bool with_metadata, std::size_t objects_per_report,
            const std::function<void(report::Report&)>& sink);

  // Applies the not yet applied migrations of `component` in order; returns
  // its version afterwards. "store" is this module's own component. (The
  // same code as SqlConnection::apply_migrations, on the store's connection.)
  int apply_migrations(const std::string& component, const std::vector<Migration>& migrations);
  // The recorded version of a component (0 = none).
  int component_version(const std::string& component);

  // Runs f with the store's own connection, serialised with the store's
  // calls: for components that need the very connection (a SQLite
  // ":memory:" database) or want no connection of their own. Do not call
  // Store methods from f (the store is locked).
  template <typename F>
  decltype(auto) with_sql(F&& f) {
    std::lock_guard lock(mutex_);
    return f(sql_locked());
  }

 protected:
  explicit Store(DatabaseSpec spec) : spec_(std::move(spec)) {}

  // What messages call the database, e.g. "database sqlite:kci.db" (never
  // a password of the connection string).
  virtual std::string describe() const = 0;
  // The -d argument messages tell the user to give `kci db init`.
  virtual std::string spec_hint() const = 0;
  // component_version(), with mutex_ held by the caller.
  int component_version_locked(const std::string& component);
  // The driver's connection as a SqlConnection, with mutex_ held.
  virtual SqlConnection& sql_locked() = 0;
  // With mutex_ held: throws a StoreError saying which command fixes it
  // unless the store's schema is the current one (checked once).
  void require_initialized();

  // Serialises the use of the driver's one connection.
  std::mutex mutex_;
  bool checked_initialized_ = false;

 private:
  // The second connection query() reads half of a large step on (opened
  // on first use; nullptr when the database cannot have one). Its own
  // Store, so its calls lock it and not this one.
  Store* split_reader();

  DatabaseSpec spec_;
  std::mutex split_reader_mutex_;
  std::unique_ptr<Store> split_reader_;
  bool split_reader_opened_ = false;
};

// Opens (connects to) the database of a spec. The schema is not created:
// call init(). Throws StoreError, or UsageError for a malformed spec.
std::unique_ptr<Store> open_store(const DatabaseSpec& spec);
std::unique_ptr<Store> open_store(const std::string& spec);

}  // namespace kci::store
