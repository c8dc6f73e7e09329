// SPDX-License-Identifier: LGPL-2.1-or-later
// Driver-independent parts of the store: opening by spec, loading JSON,
// the parent/child closure of queries and splitting dumps.
#include "store/store.h"

#include <set>

#include "report/dedup.h"
#include "store/postgres/postgres_store.h"
#include "store/schema.h"
#include "store/sqlite/sqlite_store.h"

namespace kci::store {

using report::ObjectKey;
using report::ObjectType;
using report::Report;

void Store::init(bool ignore_initialized) {
  if (!ignore_initialized && initialized() &&
      component_version(kStoreComponent) == store_migrations().back().version) {
    throw StoreError(describe() + " is already initialized");
  }
  apply_migrations(kStoreComponent, store_migrations());
  std::lock_guard lock(mutex_);
  checked_initialized_ = true;
}

bool Store::initialized() { return component_version(kStoreComponent) > 0; }

SchemaInfo Store::schema_info() {
  SchemaInfo info;
  info.store_version = component_version(kStoreComponent);
  info.latest_store_version = store_migrations().back().version;
  info.io_version = kIoVersion;
  return info;
}

int Store::component_version(const std::string& component) {
  std::lock_guard lock(mutex_);
  return component_version_locked(component);
}

int Store::component_version_locked(const std::string& component) {
  return sql_locked().component_version(component);
}

int Store::apply_migrations(const std::string& component,
                            const std::vector<Migration>& migrations) {
  std::lock_guard lock(mutex_);
  return sql_locked().apply_migrations(component, migrations);
}

void Store::require_initialized() {
  if (checked_initialized_) return;
  int v = component_version_locked(kStoreComponent);
  if (v == 0) {
    throw StoreError(describe() + " is not initialized: run `kci db init -d " + spec_hint() + "`");
  }
  if (v < store_migrations().back().version) {
    throw StoreError(describe() + " has an old schema (v" + std::to_string(v) +
                     "): run `kci db init -d " + spec_hint() + "` to migrate it");
  }
  checked_initialized_ = true;
}

std::unique_ptr<Store> open_store(const DatabaseSpec& spec) {
  switch (spec.driver) {
    case Driver::kSqlite: return std::make_unique<SqliteStore>(spec);
    case Driver::kPostgresql: return std::make_unique<PostgresStore>(spec);
  }
  throw StoreError("unknown database driver");
}

std::unique_ptr<Store> open_store(const std::string& spec) {
  return open_store(parse_database_spec(spec));
}

void Store::load(const json::Value& report, const LoadOptions& options) {
  load(report::from_json(report), options);
}

namespace {

// Tracks what a query has collected, to fetch each object once.
struct Collected {
  Report report;
  std::set<std::string> checkouts, builds, tests, incidents;
  std::set<ObjectKey> issues;
};

template <typename T>
std::set<std::string>* seen_of(Collected& c) {
  if constexpr (std::is_same_v<T, report::Checkout>) return &c.checkouts;
  if constexpr (std::is_same_v<T, report::Build>) return &c.builds;
  if constexpr (std::is_same_v<T, report::Test>) return &c.tests;
  if constexpr (std::is_same_v<T, report::Incident>) return &c.incidents;
  return nullptr;
}

// Selects objects of T whose `column` is one of `values`, keeps those that
// `want` accepts and were not collected yet.
template <typename T, typename Want>
void fetch(Store& store, Collected& c, const std::string& column,
           const std::set<std::string>& values, bool with_metadata, Want want) {
  if (values.empty()) return;
  Selection sel;
  sel.column = column;
  sel.values.assign(values.begin(), values.end());
  Report found;
  store.select(T::kType, sel, with_metadata, found);
  for (T& o : found.list<T>()) {
    if (!want(o)) continue;
    bool fresh;
    if constexpr (std::is_same_v<T, report::Issue>) {
      fresh = c.issues.insert(report::key_of(o)).second;
    } else {
      fresh = seen_of<T>(c)->insert(*o.id).second;
    }
    if (fresh) c.report.list<T>().push_back(std::move(o));
  }
}

constexpr auto kAll = [](const auto&) { return true; };

template <typename T, typename Member>
std::set<std::string> column_values(const std::vector<T>& list, Member member) {
  std::set<std::string> out;
  for (const T& o : list) {
    if (o.*member) out.insert(*(o.*member));
  }
  return out;
}

std::set<std::string> missing(const std::set<std::string>& wanted,
                              const std::set<std::string>& seen) {
  std::set<std::string> out;
  for (const auto& id : wanted) {
    if (!seen.count(id)) out.insert(id);
  }
  return out;
}

}  // namespace

Report Store::query(const QueryIds& ids, const QueryOptions& options) {
  Collected c;
  const bool meta = options.with_metadata;
  auto to_set = [](const std::vector<std::string>& v) {
    return std::set<std::string>(v.begin(), v.end());
  };
  fetch<report::Checkout>(*this, c, "id", to_set(ids.checkouts), meta, kAll);
  fetch<report::Build>(*this, c, "id", to_set(ids.builds), meta, kAll);
  fetch<report::Test>(*this, c, "id", to_set(ids.tests), meta, kAll);
  std::set<ObjectKey> wanted_issues(ids.issues.begin(), ids.issues.end());
  {
    std::set<std::string> issue_ids;
    for (const auto& k : wanted_issues) issue_ids.insert(k.id);
    fetch<report::Issue>(*this, c, "id", issue_ids, meta, [&](const report::Issue& o) {
      return wanted_issues.count(report::key_of(o)) > 0;
    });
  }
  fetch<report::Incident>(*this, c, "id", to_set(ids.incidents), meta, kAll);

  if (options.children) {
    // The graph is a DAG walked top-down, so one pass in this order reaches
    // every descendant.
    fetch<report::Build>(*this, c, "checkout_id", c.checkouts, meta, kAll);
    fetch<report::Test>(*this, c, "build_id", c.builds, meta, kAll);
    fetch<report::Incident>(*this, c, "build_id", c.builds, meta, kAll);
    fetch<report::Incident>(*this, c, "test_id", c.tests, meta, kAll);
    std::set<std::string> issue_ids;
    for (const auto& k : c.issues) issue_ids.insert(k.id);
    std::set<ObjectKey> issues = c.issues;
    fetch<report::Incident>(*this, c, "issue_id", issue_ids, meta, [&](const report::Incident& o) {
      return issues.count({*o.issue_id, o.issue_version.value_or(0)}) > 0;
    });
  }
  if (options.parents) {
    // Bottom-up: incidents name builds, tests and issues; tests name builds;
    // builds name checkouts.
    const auto& incidents = c.report.incidents;
    std::set<ObjectKey> issue_keys;
    std::set<std::string> issue_ids;
    for (const auto& o : incidents) {
      ObjectKey k{*o.issue_id, o.issue_version.value_or(0)};
      if (!c.issues.count(k)) {
        issue_keys.insert(k);
        issue_ids.insert(k.id);
      }
    }
    fetch<report::Issue>(*this, c, "id", issue_ids, meta, [&](const report::Issue& o) {
      return issue_keys.count(report::key_of(o)) > 0;
    });
    fetch<report::Test>(*this, c, "id",
                        missing(column_values(incidents, &report::Incident::test_id), c.tests),
                        meta, kAll);
    std::set<std::string> builds = column_values(c.report.incidents, &report::Incident::build_id);
    builds.merge(column_values(c.report.tests, &report::Test::build_id));
    fetch<report::Build>(*this, c, "id", missing(builds, c.builds), meta, kAll);
    fetch<report::Checkout>(
        *this, c, "id",
        missing(column_values(c.report.builds, &report::Build::checkout_id), c.checkouts), meta,
        kAll);
  }
  return std::move(c.report);
}

void Store::dump(const Selection& window, bool with_metadata, std::size_t objects_per_report,
                 const std::function<void(Report&)>& sink) {
  Report current;
  bool emitted = false;
  for (ObjectType type : report::kObjectTypes) {
    Report rows;
    select(type, window, with_metadata, rows);
    Report::each_list(rows, [&](auto& list) {
      using T = typename std::decay_t<decltype(list)>::value_type;
      for (T& o : list) {
        current.list<T>().push_back(std::move(o));
        if (objects_per_report != 0 && current.size() >= objects_per_report) {
          sink(current);
          current.clear();
          emitted = true;
        }
      }
    });
  }
  if (!current.empty() || !emitted) sink(current);
}

}  // namespace kci::store
