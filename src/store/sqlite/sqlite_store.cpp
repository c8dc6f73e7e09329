// SPDX-License-Identifier: LGPL-2.1-or-later
#include "store/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <functional>
#include <iterator>
#include <string_view>

#include "report/dedup.h"
#include "store/schema.h"
#include "store/timestamp.h"

namespace kci::store {

using report::FieldInfo;
using report::FieldKind;
using report::ObjectType;

namespace {

// Finalises a statement when it goes out of scope.
struct StmtGuard {
  sqlite3_stmt* stmt;
  ~StmtGuard() { sqlite3_finalize(stmt); }
};

// An upsert of `rows` rows in one statement (multi-row VALUES): one
// statement execution per `rows` objects instead of one per object.
std::string upsert_sql(const TableInfo& t, int rows) {
  std::string cols, sets, values;
  int n = 0;
  for (const auto& f : *t.fields) {
    if (!cols.empty()) cols += ", ";
    cols += f.column;
    bool key = std::find(t.key.begin(), t.key.end(), f.column) != t.key.end();
    if (key) continue;
    if (!sets.empty()) sets += ", ";
    std::string c = f.column;
    if (f.metadata) {
      // _timestamp only moves forward (loads with metadata may carry older).
      sets +=
          c + " = MAX(excluded." + c + ", COALESCE(" + t.name + "." + c + ", excluded." + c + "))";
    } else {
      // Newer load wins; a missing (NULL) value keeps the stored one.
      sets += c + " = COALESCE(excluded." + c + ", " + t.name + "." + c + ")";
    }
  }
  for (int r = 0; r < rows; ++r) {
    values += r ? ", (" : "(";
    for (std::size_t i = 0; i < t.fields->size(); ++i) {
      values += (i ? ", ?" : "?") + std::to_string(++n);
    }
    values += ")";
  }
  std::string key;
  for (const auto& k : t.key) key += (key.empty() ? "" : ", ") + k;
  return "INSERT INTO " + t.name + " (" + cols + ") VALUES " + values + " ON CONFLICT (" + key +
         ") DO UPDATE SET " + sets;
}

// The columns of a table that SQLite indexes besides _timestamp (the
// parent ids: checkout_id, build_id, test_id, issue_id).
std::vector<std::string> parent_columns(const TableInfo& t) {
  std::vector<std::string> out;
  for (const auto& ix : t.indexes) {
    if (ix.sqlite && ix.columns != "_timestamp") out.push_back(ix.columns);
  }
  return out;
}

// The merge of one object into a stored row whose parent ids it does not
// change (the common re-load: same object again): the same values as the
// upsert's DO UPDATE, but SQLite leaves the parent-id indexes alone, as
// those columns are not assigned. Matches no row (changes() == 0) when the
// object is new or moves to another parent; the upsert handles those.
// Parameters are numbered as the upsert's (one per column, in order).
std::string refresh_sql(const TableInfo& t) {
  const std::vector<std::string> parents = parent_columns(t);
  std::string sets, where;
  int n = 0;
  for (const auto& f : *t.fields) {
    std::string p = "?" + std::to_string(++n);
    std::string c = f.column;
    if (std::find(t.key.begin(), t.key.end(), c) != t.key.end()) {
      where += (where.empty() ? "" : " AND ") + c + " = " + p;
    } else if (std::find(parents.begin(), parents.end(), c) != parents.end()) {
      where += (where.empty() ? "" : " AND ") + c + " IS COALESCE(" + p + ", " + c + ")";
    } else {
      if (!sets.empty()) sets += ", ";
      if (f.metadata) {
        sets += c + " = MAX(" + p + ", COALESCE(" + c + ", " + p + "))";
      } else {
        sets += c + " = COALESCE(" + p + ", " + c + ")";
      }
    }
  }
  return "UPDATE " + t.name + " SET " + sets + " WHERE " + where;
}

// Binds the members of objects to a prepared statement. Values the report
// holds are bound without a copy (the report outlives the step); values made
// here (canonical timestamps, JSON arrays) live in the binder's buffers until
// the next reset().
class Binder {
 public:
  explicit Binder(std::string_view now) : now_(now) {}

  // Makes room for `rows` objects of `columns` columns (buffers must not move
  // while bound).
  void reset(std::size_t rows, std::size_t columns) {
    stamps_.resize(rows * columns * kTimestampBufferSize);
    used_ = 0;
    arrays_.clear();
  }

  template <typename T>
  void bind_object(sqlite3_stmt* s, int& i, const T& o, bool keep_timestamp) {
    T::visit(o, [&](const FieldInfo& f, const auto& member) {
      ++i;
      if (f.metadata && !(keep_timestamp && member)) {
        sqlite3_bind_text(s, i, now_.data(), static_cast<int>(now_.size()), SQLITE_STATIC);
      } else {
        bind(s, i, f, member);
      }
    });
  }

 private:
  void bind(sqlite3_stmt* s, int i, const FieldInfo& f, const report::Text& v) {
    if (!v) {
      sqlite3_bind_null(s, i);
    } else if (f.kind == FieldKind::kTimestamp) {
      char* out = stamps_.data() + used_;
      std::size_t n = normalize_timestamp(*v, out);
      used_ += kTimestampBufferSize;
      sqlite3_bind_text(s, i, out, static_cast<int>(n), SQLITE_STATIC);
    } else {
      sqlite3_bind_text(s, i, v->data(), static_cast<int>(v->size()), SQLITE_STATIC);
    }
  }
  void bind(sqlite3_stmt* s, int i, const FieldInfo&, const report::Float& v) {
    v ? sqlite3_bind_double(s, i, *v) : sqlite3_bind_null(s, i);
  }
  void bind(sqlite3_stmt* s, int i, const FieldInfo&, const report::Integer& v) {
    v ? sqlite3_bind_int64(s, i, *v) : sqlite3_bind_null(s, i);
  }
  void bind(sqlite3_stmt* s, int i, const FieldInfo&, const report::Bool& v) {
    v ? sqlite3_bind_int(s, i, *v ? 1 : 0) : sqlite3_bind_null(s, i);
  }
  void bind(sqlite3_stmt* s, int i, const FieldInfo&, const report::TextArray& v) {
    if (!v) {
      sqlite3_bind_null(s, i);
      return;
    }
    const std::string& text = arrays_.emplace_back(report::text_array_json(*v));
    sqlite3_bind_text(s, i, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  }

  std::string_view now_;
  std::vector<char> stamps_;
  std::size_t used_ = 0;
  std::deque<std::string> arrays_;  // stable addresses
};

std::string_view column_view(sqlite3_stmt* s, int i) {
  // sqlite3_column_text() first: it may convert the value, which
  // sqlite3_column_bytes() then measures.
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return {p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(s, i))};
}
void read(sqlite3_stmt* s, int i, report::Text& v) { v.emplace(column_view(s, i)); }
void read(sqlite3_stmt* s, int i, report::Float& v) { v = sqlite3_column_double(s, i); }
void read(sqlite3_stmt* s, int i, report::Integer& v) { v = sqlite3_column_int64(s, i); }
void read(sqlite3_stmt* s, int i, report::Bool& v) { v = sqlite3_column_int(s, i) != 0; }
void read(sqlite3_stmt* s, int i, report::TextArray& v) {
  v = report::parse_text_array(column_view(s, i));
}

// Up to this many values, select() counts the rows before reading them.
constexpr std::size_t kCountFirstMaxValues = 16384;

// The values of a selection, each once: they are joined as a table, so a
// repeated value would repeat its rows. Sorted (the query's callers sort
// them already), the index lookups go in index order.
const std::vector<std::string>& unique_values(const std::vector<std::string>& values,
                                              std::vector<std::string>& scratch) {
  if (std::adjacent_find(values.begin(), values.end(), std::greater_equal<>()) == values.end()) {
    return values;
  }
  scratch = values;
  std::sort(scratch.begin(), scratch.end());
  scratch.erase(std::unique(scratch.begin(), scratch.end()), scratch.end());
  return scratch;
}

}  // namespace

SqliteStore::SqliteStore(const DatabaseSpec& spec) : Store(spec) {
  // No memory statistics: each of SQLite's allocations would take a global
  // mutex for them (-4% CPU on bulk loads). Process-wide, so set once before
  // SQLite initialises; fails harmlessly if something initialised it first.
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  int rc =
      sqlite3_open_v2(spec.params.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError("cannot open SQLite database " + spec.params + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 60000);
  if (spec.params != ":memory:") exec("PRAGMA journal_mode = WAL");
  exec("PRAGMA synchronous = NORMAL");
  // Every insert touches the table and 2-5 index B-trees in id order: a 256 MiB page
  // cache keeps their hot pages in memory during bulk loads.
  exec("PRAGMA cache_size = -262144");
  // Pages read through a memory map instead of read() copies.
  exec("PRAGMA mmap_size = 1073741824");
  exec("PRAGMA temp_store = MEMORY");
  sql_ = std::make_unique<SqliteSql>(spec, db_);
}

SqliteStore::~SqliteStore() {
  checkpointer_.reset();  // before the last connection closes and checkpoints the rest
  finalize_statements();
  sql_.reset();
  sqlite3_close(db_);
}

void SqliteStore::finalize_statements() {
  for (auto& [type, u] : upserts_) {
    sqlite3_finalize(u.single);
    sqlite3_finalize(u.multi);
    sqlite3_finalize(u.refresh);
  }
  upserts_.clear();
}

std::string SqliteStore::describe() const { return "database " + spec().str(); }
std::string SqliteStore::spec_hint() const { return spec().str(); }

void SqliteStore::fail(const std::string& what) {
  throw StoreError("SQLite database " + spec().params + ": " + what + ": " + sqlite3_errmsg(db_));
}

void SqliteStore::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw StoreError("SQLite database " + spec().params + ": " + msg +
                     " (in: " + sql.substr(0, 120) + ")");
  }
}

sqlite3_stmt* SqliteStore::prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    fail("cannot prepare \"" + sql.substr(0, 120) + "\"");
  }
  return stmt;
}

SqlConnection& SqliteStore::sql_locked() { return *sql_; }

void SqliteStore::cleanup() {
  std::lock_guard lock(mutex_);
  finalize_statements();
  exec("BEGIN IMMEDIATE");
  try {
    for (ObjectType type : report::kObjectTypes)
      exec("DROP TABLE IF EXISTS " + table_info(type).name);
    exec(std::string("DELETE FROM ") + kMetaTable + " WHERE component = 'store'");
    exec("PRAGMA user_version = 0");
    exec("COMMIT");
  } catch (const StoreError&) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    // No kci_meta table: nothing was initialized; the drops are done.
    for (ObjectType type : report::kObjectTypes)
      exec("DROP TABLE IF EXISTS " + table_info(type).name);
  }
  checked_initialized_ = false;
}

void SqliteStore::empty() {
  std::lock_guard lock(mutex_);
  require_initialized();
  exec("BEGIN IMMEDIATE");
  try {
    for (ObjectType type : report::kObjectTypes) exec("DELETE FROM " + table_info(type).name);
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::size_t SqliteStore::purge(const std::string& before) {
  std::string t = normalize_timestamp(before);
  std::lock_guard lock(mutex_);
  require_initialized();
  std::size_t deleted = 0;
  exec("BEGIN IMMEDIATE");
  try {
    for (ObjectType type : report::kObjectTypes) {
      StmtGuard s{prepare("DELETE FROM " + table_info(type).name + " WHERE _timestamp < ?1")};
      sqlite3_bind_text(s.stmt, 1, t.c_str(), -1, SQLITE_STATIC);
      if (sqlite3_step(s.stmt) != SQLITE_DONE) fail("cannot purge");
      deleted += static_cast<std::size_t>(sqlite3_changes(db_));
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  return deleted;
}

void SqliteStore::load(report::Report report, const LoadOptions& options) {
  // Id order: the same order for every writer, and B-tree friendly; the
  // same sort merges objects that share an identity. Done before taking the
  // lock, so that another thread's load can run meanwhile.
  const report::KeyOrders orders = report::dedup_in_key_order(report);
  const std::string now = now_timestamp();
  Binder binder(now);
  std::lock_guard lock(mutex_);
  require_initialized();
  if (!checkpointer_ && spec().params != ":memory:") {
    checkpointer_ = std::make_unique<WalCheckpointer>(spec().params);
    exec("PRAGMA wal_autocheckpoint = 0");
  }
  exec("BEGIN IMMEDIATE");
  try {
    if (options.before_write) options.before_write(*sql_);
    report::Report::each_list(report, [&](auto& list) {
      using T = typename std::decay_t<decltype(list)>::value_type;
      if (list.empty()) return;
      const TableInfo& t = table_info(T::kType);
      const std::size_t columns = t.fields->size();
      Upserts& u = upserts_[T::kType];
      if (!u.single) {
        int max_vars = sqlite3_limit(db_, SQLITE_LIMIT_VARIABLE_NUMBER, -1);
        u.rows = std::max(1, std::min(kRowsPerStatement, max_vars / static_cast<int>(columns)));
        u.single = prepare(upsert_sql(t, 1));
        u.multi = prepare(upsert_sql(t, u.rows));
      }
      if (!u.refresh && !parent_columns(t).empty()) {
        u.refresh = prepare(refresh_sql(t));
      }
      const std::vector<std::size_t>& order = orders[static_cast<std::size_t>(T::kType)];
      const std::size_t rows = static_cast<std::size_t>(u.rows);
      auto step = [&](sqlite3_stmt* stmt, std::size_t first) {
        int rc = sqlite3_step(stmt);
        sqlite3_reset(stmt);
        if (rc != SQLITE_DONE) {
          fail("cannot store " + std::string(list_name(T::kType)) + " " + *list[order[first]].id +
               (stmt == u.multi ? " (or one of the next " + std::to_string(rows - 1) + ")" : ""));
        }
      };
      // Refreshes order[i] in place; false if it needs the upsert.
      auto refresh = [&](std::size_t i) {
        binder.reset(1, columns);
        int col = 0;
        binder.bind_object(u.refresh, col, list[order[i]], options.with_metadata);
        step(u.refresh, i);
        return sqlite3_changes(db_) > 0;
      };
      auto upsert_one = [&](std::size_t i) {
        binder.reset(1, columns);
        int col = 0;
        binder.bind_object(u.single, col, list[order[i]], options.with_metadata);
        step(u.single, i);
      };
      for (std::size_t next = 0; next < order.size();) {
        std::size_t n = std::min(rows, order.size() - next);
        // A chunk whose first object is stored already is most likely a
        // re-load: refreshed object by object.
        if (u.refresh && refresh(next)) {
          for (std::size_t k = next + 1; k < next + n; ++k) {
            if (!refresh(k)) upsert_one(k);
          }
        } else if (n == rows) {
          binder.reset(n, columns);
          int col = 0;
          for (std::size_t k = 0; k < n; ++k) {
            binder.bind_object(u.multi, col, list[order[next + k]], options.with_metadata);
          }
          step(u.multi, next);
        } else {
          for (std::size_t k = next; k < next + n; ++k) upsert_one(k);
        }
        next += n;
      }
      if (u.refresh) sqlite3_clear_bindings(u.refresh);
      sqlite3_clear_bindings(u.multi);
      sqlite3_clear_bindings(u.single);
    });
    if (options.after_write) options.after_write(*sql_);
    exec("COMMIT");
    if (checkpointer_) checkpointer_->poke();
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void SqliteStore::select(ObjectType type, const Selection& sel, bool with_metadata,
                         report::Report& out) {
  const TableInfo& t = table_info(type);
  std::string from;
  int n = 0;
  if (sel.column.empty()) {
    from = " FROM " + t.name + " AS t WHERE 1";
  } else {
    // The values as a table (json_each), joined to the column's index:
    // one index search per value. (`column IN (SELECT value FROM
    // json_each(?))` first copied the values into a temporary B-tree.)
    // CROSS JOIN keeps the values as the outer loop.
    from = " FROM json_each(?" + std::to_string(++n) + ") AS v CROSS JOIN " + t.name +
           " AS t ON t." + sel.column + " = v.value WHERE 1";
  }
  if (sel.after) from += " AND t._timestamp > ?" + std::to_string(++n);
  if (sel.until) from += " AND t._timestamp <= ?" + std::to_string(++n);
  std::string sql = "SELECT ";
  bool first = true;
  for (const auto& f : *t.fields) {
    sql += (first ? "t." : ", t.") + std::string(f.column);
    first = false;
  }
  sql += from;
  std::string values_json, after, until;
  if (!sel.column.empty()) {
    std::vector<std::string> scratch;
    values_json = report::text_array_json(unique_values(sel.values, scratch));
  }
  if (sel.after) after = normalize_timestamp(*sel.after);
  if (sel.until) until = normalize_timestamp(*sel.until);

  std::lock_guard lock(mutex_);
  require_initialized();
  auto bind = [&](sqlite3_stmt* stmt) {
    int k = 0;
    if (!sel.column.empty()) {
      sqlite3_bind_text(stmt, ++k, values_json.data(), static_cast<int>(values_json.size()),
                        SQLITE_STATIC);
    }
    if (sel.after) sqlite3_bind_text(stmt, ++k, after.c_str(), -1, SQLITE_STATIC);
    if (sel.until) sqlite3_bind_text(stmt, ++k, until.c_str(), -1, SQLITE_STATIC);
  };
  // `out` should grow once: a vector of these large objects growing row by
  // row moves each one several times and touches about twice its final
  // memory for the first time (page faults were a third of a large query's
  // time on the project machine). With few values the rows are counted
  // first (from the indexes alone, in the same transaction: cheap). With
  // many values the count would repeat most of the work (one index search
  // per value), so room for one row per value is reserved instead: pages
  // reserved and not used are never touched.
  const bool count_first = sel.column.empty() || sel.values.size() <= kCountFirstMaxValues;
  exec("BEGIN");
  try {
    std::size_t rows = sel.values.size();
    if (count_first) {
      StmtGuard count{prepare("SELECT count(*)" + from)};
      bind(count.stmt);
      if (sqlite3_step(count.stmt) != SQLITE_ROW) fail("cannot count " + t.name);
      rows = static_cast<std::size_t>(sqlite3_column_int64(count.stmt, 0));
    }
    StmtGuard s{prepare(sql)};
    bind(s.stmt);
    report::with_object_type(type, [&](auto proto) {
      using T = decltype(proto);
      auto& list = out.list<T>();
      list.reserve(list.size() + rows);
      int rc;
      while ((rc = sqlite3_step(s.stmt)) == SQLITE_ROW) {
        T& o = list.emplace_back();
        int col = 0;
        T::visit(o, [&](const FieldInfo& f, auto& member) {
          int i = col++;
          if (f.metadata && !with_metadata) return;
          if (sqlite3_column_type(s.stmt, i) != SQLITE_NULL) read(s.stmt, i, member);
        });
      }
      if (rc != SQLITE_DONE) fail("cannot read " + t.name);
    });
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace kci::store
