// SPDX-License-Identifier: LGPL-2.1-or-later
// Driver-independent parts of the store: opening by spec, loading JSON,
// the parent/child closure of queries and splitting dumps.
#include "store/store.h"

#include <algorithm>
#include <exception>
#include <iterator>
#include <set>
#include <string_view>
#include <thread>
#include <unordered_set>

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

// The identity of a collected object, viewing its id (valid while the
// object stays where it is).
struct KeyView {
  std::string_view id;
  std::int64_t version = 0;  // issues only
  bool operator==(const KeyView&) const = default;
};
struct KeyViewHash {
  std::size_t operator()(const KeyView& k) const {
    return std::hash<std::string_view>{}(k.id) ^ static_cast<std::size_t>(k.version);
  }
};
using KeySet = std::unordered_set<KeyView, KeyViewHash>;

template <typename T>
KeyView key_view(const T& o) {
  std::string_view id = o.id ? std::string_view(*o.id) : std::string_view();
  if constexpr (std::is_same_v<T, report::Issue>) {
    return {id, o.version.value_or(0)};
  } else {
    return {id, 0};
  }
}

template <typename T>
KeySet keys_of(const std::vector<T>& list) {
  KeySet out;
  out.reserve(list.size());
  for (const T& o : list) out.insert(key_view(o));
  return out;
}

constexpr auto kAll = [](const auto&) { return true; };

// Sorted, without duplicates: the drivers look each value up once, in
// index order.
std::vector<std::string> sorted_unique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// Selects the objects of T whose `column` is one of `values` straight into
// `out`, then drops those that `want` refuses and those `out` held already
// (collected by an earlier fetch). One SELECT returns each row once, so
// nothing is compared when `out` had none of T before.
// Where fetch() reads: the store, and for large steps also a second
// connection that reads half of the values at the same time.
struct Readers {
  Store& store;
  std::size_t split_min_values = 0;      // 0: never split
  std::function<Store*()> split_reader;  // opens it on first use; nullptr: none
};

// Selects the rows of T for sel.values into out.list<T>(). With many
// values and a second connection, the upper half of the (sorted) values is
// read on that connection in a thread of its own while this thread reads
// the lower half; each row has one value of the column, so the halves
// share no row. A report's large steps (the tests of thousands of builds,
// the incidents of a hundred thousand tests) take half the wall time on
// two cores: building the objects is most of a query's CPU, on both sides
// of a PostgreSQL connection.
template <typename T>
void select_split(const Readers& readers, Selection& sel, bool with_metadata, Report& out) {
  Store* split = readers.split_min_values != 0 && sel.values.size() >= readers.split_min_values
                     ? readers.split_reader()
                     : nullptr;
  if (split == nullptr) {
    readers.store.select(T::kType, sel, with_metadata, out);
    return;
  }
  const auto middle = sel.values.begin() + static_cast<std::ptrdiff_t>(sel.values.size() / 2);
  Selection upper;
  upper.column = sel.column;
  upper.values.assign(std::make_move_iterator(middle), std::make_move_iterator(sel.values.end()));
  sel.values.erase(middle, sel.values.end());
  Report upper_rows;
  std::exception_ptr upper_error;
  std::thread reader([&] {
    try {
      split->select(T::kType, upper, with_metadata, upper_rows);
    } catch (...) {
      upper_error = std::current_exception();
    }
  });
  std::exception_ptr lower_error;
  try {
    readers.store.select(T::kType, sel, with_metadata, out);
  } catch (...) {
    lower_error = std::current_exception();
  }
  reader.join();
  if (lower_error) std::rethrow_exception(lower_error);
  if (upper_error) std::rethrow_exception(upper_error);
  std::vector<T>& list = out.list<T>();
  std::vector<T>& more = upper_rows.list<T>();
  list.reserve(list.size() + more.size());
  std::move(more.begin(), more.end(), std::back_inserter(list));
}

template <typename T, typename Want>
void fetch(const Readers& readers, Report& out, const char* column, std::vector<std::string> values,
           bool with_metadata, Want want) {
  if (values.empty()) return;
  Selection sel;
  sel.column = column;
  sel.values = sorted_unique(std::move(values));
  std::vector<T>& list = out.list<T>();
  const std::size_t first = list.size();
  select_split<T>(readers, sel, with_metadata, out);
  constexpr bool kWantsAll = std::is_same_v<Want, std::remove_const_t<decltype(kAll)>>;
  if (first == 0 && kWantsAll) return;
  // Marked first, moved after: the views stay valid while marking.
  std::vector<char> keep(list.size() - first, 1);
  {
    KeySet seen;
    if (first > 0) {
      seen.reserve(list.size());
      for (std::size_t i = 0; i < first; ++i) seen.insert(key_view(list[i]));
    }
    for (std::size_t i = first; i < list.size(); ++i) {
      if (!want(list[i]) || (first > 0 && !seen.insert(key_view(list[i])).second)) {
        keep[i - first] = 0;
      }
    }
  }
  std::size_t kept = first;
  for (std::size_t i = first; i < list.size(); ++i) {
    if (!keep[i - first]) continue;
    if (kept != i) list[kept] = std::move(list[i]);
    ++kept;
  }
  list.erase(list.begin() + static_cast<std::ptrdiff_t>(kept), list.end());
}

// The values of a member (a parent id) over a list, except those in `except`.
template <typename T, typename Member>
void add_column_values(const std::vector<T>& list, Member member, const KeySet& except,
                       std::vector<std::string>& out) {
  for (const T& o : list) {
    if (o.*member && !except.count(KeyView{*(o.*member), 0})) out.push_back(*(o.*member));
  }
}

template <typename T>
std::vector<std::string> ids_of(const std::vector<T>& list) {
  std::vector<std::string> out;
  out.reserve(list.size());
  for (const T& o : list) {
    if (o.id) out.push_back(*o.id);
  }
  return out;
}

}  // namespace

Store* Store::split_reader() {
  std::lock_guard lock(split_reader_mutex_);
  if (!split_reader_opened_) {
    split_reader_opened_ = true;
    const bool in_memory =
        spec_.driver == Driver::kSqlite && (spec_.params == ":memory:" || spec_.params.empty() ||
                                            spec_.params.rfind("file::memory:", 0) == 0);
    if (!in_memory) split_reader_ = open_store(spec_);
  }
  return split_reader_.get();
}

Report Store::query(const QueryIds& ids, const QueryOptions& options) {
  Report r;
  const bool meta = options.with_metadata;
  const Readers readers{*this, options.split_min_values, [this] { return split_reader(); }};
  fetch<report::Checkout>(readers, r, "id", ids.checkouts, meta, kAll);
  fetch<report::Build>(readers, r, "id", ids.builds, meta, kAll);
  fetch<report::Test>(readers, r, "id", ids.tests, meta, kAll);
  {
    std::set<ObjectKey> wanted(ids.issues.begin(), ids.issues.end());
    std::vector<std::string> issue_ids;
    for (const auto& k : wanted) issue_ids.push_back(k.id);
    fetch<report::Issue>(readers, r, "id", std::move(issue_ids), meta, [&](const report::Issue& o) {
      return wanted.count(report::key_of(o)) > 0;
    });
  }
  fetch<report::Incident>(readers, r, "id", ids.incidents, meta, kAll);

  if (options.children) {
    // The graph is a DAG walked top-down, so one pass in this order reaches
    // every descendant.
    fetch<report::Build>(readers, r, "checkout_id", ids_of(r.checkouts), meta, kAll);
    fetch<report::Test>(readers, r, "build_id", ids_of(r.builds), meta, kAll);
    fetch<report::Incident>(readers, r, "build_id", ids_of(r.builds), meta, kAll);
    fetch<report::Incident>(readers, r, "test_id", ids_of(r.tests), meta, kAll);
    std::set<ObjectKey> issues;
    for (const auto& o : r.issues) issues.insert(report::key_of(o));
    fetch<report::Incident>(readers, r, "issue_id", ids_of(r.issues), meta,
                            [&](const report::Incident& o) {
                              return issues.count({*o.issue_id, o.issue_version.value_or(0)}) > 0;
                            });
  }
  if (options.parents) {
    // Bottom-up: incidents name builds, tests and issues; tests name builds;
    // builds name checkouts.
    {
      std::set<ObjectKey> have;
      for (const auto& o : r.issues) have.insert(report::key_of(o));
      std::set<ObjectKey> wanted;
      std::vector<std::string> issue_ids;
      for (const auto& o : r.incidents) {
        ObjectKey k{*o.issue_id, o.issue_version.value_or(0)};
        if (!have.count(k) && wanted.insert(k).second) issue_ids.push_back(k.id);
      }
      fetch<report::Issue>(
          readers, r, "id", std::move(issue_ids), meta,
          [&](const report::Issue& o) { return wanted.count(report::key_of(o)) > 0; });
    }
    std::vector<std::string> wanted;
    add_column_values(r.incidents, &report::Incident::test_id, keys_of(r.tests), wanted);
    fetch<report::Test>(readers, r, "id", std::move(wanted), meta, kAll);
    wanted.clear();
    {
      KeySet have = keys_of(r.builds);
      add_column_values(r.incidents, &report::Incident::build_id, have, wanted);
      add_column_values(r.tests, &report::Test::build_id, have, wanted);
    }
    fetch<report::Build>(readers, r, "id", std::move(wanted), meta, kAll);
    wanted.clear();
    add_column_values(r.builds, &report::Build::checkout_id, keys_of(r.checkouts), wanted);
    fetch<report::Checkout>(readers, r, "id", std::move(wanted), meta, kAll);
  }
  return r;
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
