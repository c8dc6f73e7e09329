// SPDX-License-Identifier: LGPL-2.1-or-later
#include "store/postgres/postgres_store.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string_view>

#include "report/dedup.h"
#include "store/schema.h"
#include "store/timestamp.h"

namespace kci::store {

using report::FieldInfo;
using report::FieldKind;
using report::ObjectType;

// Owns a PGresult.
class PostgresStore::Result {
 public:
  explicit Result(PGresult* r) : r_(r) {}
  Result(Result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Result& operator=(Result&&) = delete;
  ~Result() { PQclear(r_); }
  PGresult* get() const { return r_; }
  int rows() const { return PQntuples(r_); }
  bool null(int row, int col) const { return PQgetisnull(r_, row, col); }
  const char* value(int row, int col) const { return PQgetvalue(r_, row, col); }
  std::string text(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col),
                       static_cast<std::size_t>(PQgetlength(r_, row, col)));
  }

 private:
  PGresult* r_;
};

namespace {

std::string staging_name(const TableInfo& t) { return "kci_stage_" + t.name; }

constexpr const char* kUniqueViolation = "23505";

std::string merge_sql(const TableInfo& t) {
  std::string cols, exprs, sets, key;
  std::string order;  // byte order, as the loader sorts
  for (const auto& k : t.key) {
    key += (key.empty() ? "" : ", ") + k;
    order += (order.empty() ? "" : ", ") + k + (k == "id" ? " COLLATE \"C\"" : "");
  }
  for (const auto& f : *t.fields) {
    std::string c = f.column;
    if (!cols.empty()) {
      cols += ", ";
      exprs += ", ";
    }
    cols += c;
    // _timestamp: the load (transaction) time unless loaded with metadata.
    exprs += f.metadata ? "COALESCE(" + c + ", now())" : c;
    if (std::find(t.key.begin(), t.key.end(), c) != t.key.end()) continue;
    if (!sets.empty()) sets += ", ";
    if (f.metadata) {
      sets += c + " = GREATEST(EXCLUDED." + c + ", o." + c + ")";
    } else {
      // Newer load wins; a missing (NULL) value keeps the stored one.
      sets += c + " = COALESCE(EXCLUDED." + c + ", o." + c + ")";
    }
  }
  return "INSERT INTO " + t.name + " AS o (" + cols + ") SELECT " + exprs + " FROM " +
         staging_name(t) + " ORDER BY " + order + " ON CONFLICT (" + key + ") DO UPDATE SET " +
         sets;
}

std::string select_expr(const FieldInfo& f) {
  std::string c = "t." + std::string(f.column);
  switch (f.kind) {
    // Timestamps come as PostgreSQL's own text output (ISO, UTC: the
    // session's settings), put in canonical form here: to_char() on the
    // server cost more than the rest of the row's output together.
    case FieldKind::kJson:
    case FieldKind::kStatus:
    case FieldKind::kPrefix: return c + "::text";
    case FieldKind::kTextArray: return "array_to_json(" + c + ")::text";
    default: return c;
  }
}

// COPY text format: backslash escapes for the characters that delimit it.
void copy_escape(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out.push_back(c);
    }
  }
}

// An array literal: {"a","b"} with " and \ escaped inside elements.
std::string array_literal(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out.push_back(',');
    out.push_back('"');
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

void copy_value(std::string& out, const FieldInfo& f, const report::Text& v) {
  if (!v) {
    out += "\\N";
  } else if (f.kind == FieldKind::kTimestamp) {
    // PostgreSQL would accept "yesterday" or "epoch": only RFC 3339 goes in.
    out += normalize_timestamp(*v);
  } else {
    copy_escape(out, *v);
  }
}
void copy_value(std::string& out, const FieldInfo&, const report::Float& v) {
  if (!v) {
    out += "\\N";
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, *v);
  out.append(buf, r.ptr);
}
void copy_value(std::string& out, const FieldInfo&, const report::Integer& v) {
  v ? void(out += std::to_string(*v)) : void(out += "\\N");
}
void copy_value(std::string& out, const FieldInfo&, const report::Bool& v) {
  out += v ? (*v ? "t" : "f") : "\\N";
}
void copy_value(std::string& out, const FieldInfo&, const report::TextArray& v) {
  v ? copy_escape(out, array_literal(*v)) : void(out += "\\N");
}

// Values of a result in text format (NUL-terminated, with their length).
void read(const FieldInfo& f, const char* p, std::size_t n, report::Text& v) {
  if (f.kind != FieldKind::kTimestamp) {
    v.emplace(p, n);
    return;
  }
  // "2019-11-13 13:51:44.12+00" (ISO output in UTC: the fraction without
  // trailing zeros, the offset in hours) -> "2019-11-13T13:51:44.120000+00:00".
  char in[kTimestampBufferSize];
  char out[kTimestampBufferSize];
  std::string_view text(p, n);
  if (n + 3 < sizeof in && n > 3 && text.substr(n - 3, 1) == "+") {
    std::memcpy(in, p, n);
    std::memcpy(in + n, ":00", 3);
    text = std::string_view(in, n + 3);
  }
  v.emplace(out, normalize_timestamp(text, out));
}
void read(const FieldInfo&, const char* p, std::size_t, report::Float& v) {
  v = std::strtod(p, nullptr);
}
void read(const FieldInfo&, const char* p, std::size_t, report::Integer& v) {
  v = std::strtoll(p, nullptr, 10);
}
void read(const FieldInfo&, const char* p, std::size_t, report::Bool& v) { v = *p == 't'; }
void read(const FieldInfo&, const char* p, std::size_t n, report::TextArray& v) {
  v = report::parse_text_array(std::string_view(p, n));
}

// The values of a selection, each once, sorted (as the query's callers
// already pass them: then nothing is copied).
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

void ignore_notice(void*, const char*) {}

}  // namespace

PostgresStore::PostgresStore(const DatabaseSpec& spec) : Store(spec) {
  conn_ = PQconnectdb(spec.params.c_str());
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn_);
    PQfinish(conn_);
    conn_ = nullptr;
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    // The conninfo may hold a password: not repeated in the message.
    throw StoreError("cannot connect to PostgreSQL: " + msg);
  }
  // "NOTICE: relation already exists" and the like are not for users.
  PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
  set_up_session();
  sql_ = std::make_unique<PostgresSql>(spec, conn_);
}

void PostgresStore::set_up_session() {
  // Timestamps are read in PostgreSQL's ISO output, in UTC.
  exec("SET TIME ZONE 'UTC'");
  exec("SET DateStyle = 'ISO'");
}

void PostgresStore::reconnect_if_lost() {
  if (PQstatus(conn_) != CONNECTION_BAD) return;
  // The same PGconn (PostgresSql borrows it), connected anew with the same
  // parameters; the temporary tables went with the old session.
  PQreset(conn_);
  staging_created_.clear();
  if (PQstatus(conn_) != CONNECTION_OK) fail("the connection was lost and cannot be opened again");
  set_up_session();
}

PostgresStore::~PostgresStore() {
  sql_.reset();
  PQfinish(conn_);
}

std::string PostgresStore::where() const {
  return std::string("PostgreSQL database ") + PQdb(conn_) + " on " + PQhost(conn_) + ":" +
         PQport(conn_);
}

std::string PostgresStore::describe() const { return where(); }
// Not the connection string: it may hold a password.
std::string PostgresStore::spec_hint() const { return "postgresql:..."; }

void PostgresStore::fail(const std::string& what) {
  std::string msg = PQerrorMessage(conn_);
  while (!msg.empty() && msg.back() == '\n') msg.pop_back();
  throw StoreError(where() + ": " + what + ": " + msg);
}

PostgresStore::Result PostgresStore::exec(const std::string& sql) {
  Result r(PQexec(conn_, sql.c_str()));
  auto st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    fail("\"" + sql.substr(0, 120) + "\" failed");
  return r;
}

PostgresStore::Result PostgresStore::exec(const std::string& sql,
                                          const std::vector<const char*>& params) {
  Result r(PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr, params.data(),
                        nullptr, nullptr, 0));
  auto st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    fail("\"" + sql.substr(0, 120) + "\" failed");
  return r;
}

bool PostgresStore::copy_in(const std::string& sql, const std::string& data,
                            const char* tolerated_sqlstate) {
  Result start(PQexec(conn_, sql.c_str()));
  if (PQresultStatus(start.get()) != PGRES_COPY_IN) fail("cannot start COPY");
  // Sent in slices so libpq never holds a second copy of a huge buffer.
  constexpr std::size_t kSlice = 1 << 20;
  for (std::size_t off = 0; off < data.size(); off += kSlice) {
    std::size_t n = std::min(kSlice, data.size() - off);
    if (PQputCopyData(conn_, data.data() + off, static_cast<int>(n)) != 1) fail("COPY failed");
  }
  if (PQputCopyEnd(conn_, nullptr) != 1) fail("COPY failed");
  bool ok = true;
  bool tolerated = false;
  while (PGresult* r = PQgetResult(conn_)) {
    Result result(r);
    if (PQresultStatus(r) == PGRES_COMMAND_OK) continue;
    ok = false;
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    tolerated = tolerated_sqlstate && state && std::string_view(state) == tolerated_sqlstate;
  }
  if (!ok && !tolerated) fail("COPY failed");
  return ok;
}

template <typename Fn>
void PostgresStore::transaction(Fn fn) {
  exec("BEGIN");
  try {
    fn();
    exec("COMMIT");
  } catch (...) {
    PQclear(PQexec(conn_, "ROLLBACK"));
    throw;
  }
}

SqlConnection& PostgresStore::sql_locked() {
  reconnect_if_lost();
  return *sql_;
}

void PostgresStore::cleanup() {
  std::lock_guard lock(mutex_);
  reconnect_if_lost();
  transaction([&] {
    for (ObjectType type : report::kObjectTypes) {
      const TableInfo& t = table_info(type);
      exec("DROP TABLE IF EXISTS " + staging_name(t));
      exec("DROP TABLE IF EXISTS " + t.name);
    }
    exec("DROP FUNCTION IF EXISTS get_version()");
    exec("DROP TYPE IF EXISTS STATUS");
    exec("DROP TYPE IF EXISTS UNIT_PREFIX");
    Result t = exec("SELECT to_regclass($1) IS NOT NULL", {kMetaTable});
    if (std::string(t.value(0, 0)) == "t") {
      exec(std::string("DELETE FROM ") + kMetaTable + " WHERE component = 'store'");
    }
  });
  staging_created_.clear();
  checked_initialized_ = false;
}

void PostgresStore::empty() {
  std::lock_guard lock(mutex_);
  reconnect_if_lost();
  require_initialized();
  exec("TRUNCATE checkouts, builds, tests, issues, incidents");
}

std::size_t PostgresStore::purge(const std::string& before) {
  std::string t = normalize_timestamp(before);
  std::lock_guard lock(mutex_);
  reconnect_if_lost();
  require_initialized();
  std::size_t deleted = 0;
  transaction([&] {
    for (ObjectType type : report::kObjectTypes) {
      Result r =
          exec("DELETE FROM " + table_info(type).name + " WHERE _timestamp < $1::timestamptz",
               {t.c_str()});
      deleted += std::strtoull(PQcmdTuples(r.get()), nullptr, 10);
    }
  });
  return deleted;
}

void PostgresStore::load(report::Report report, const LoadOptions& options) {
  // Key order (byte order, as the merge's ORDER BY ... COLLATE "C"): every
  // writer takes row locks in the same order, so concurrent loads of
  // overlapping ids wait for each other instead of deadlocking; the same
  // sort merges objects that share an identity. Done before the lock.
  const report::KeyOrders orders = report::dedup_in_key_order(report);
  std::lock_guard lock(mutex_);
  reconnect_if_lost();
  require_initialized();
  std::string data;
  transaction([&] {
    // The transaction's time, as now() gives it to every statement in it:
    // written into rows COPied straight into a table. Rows for the merge
    // leave a missing _timestamp NULL, for the merge's COALESCE(..., now()).
    std::string now;
    if (options.before_write) options.before_write(*sql_);
    report::Report::each_list(report, [&](auto& list) {
      using T = typename std::decay_t<decltype(list)>::value_type;
      const std::vector<std::size_t>& order = orders[static_cast<std::size_t>(T::kType)];
      if (order.empty()) return;
      const TableInfo& t = table_info(T::kType);
      auto write_rows = [&](std::string_view missing_timestamp) {
        data.clear();
        for (std::size_t i : order) {
          bool first = true;
          T::visit(list[i], [&](const FieldInfo& f, const auto& member) {
            if (!first) data.push_back('\t');
            first = false;
            if (f.metadata && (!options.with_metadata || !member)) {
              data += missing_timestamp;
            } else {
              copy_value(data, f, member);
            }
          });
          data.push_back('\n');
        }
      };
      if (!any_stored(t, list, order)) {
        if (now.empty()) now = exec("SELECT now()").text(0, 0);
        write_rows(now);
        if (copy_new_rows(t, data)) return;
      }
      write_rows("\\N");
      std::string stage = staging_name(t);
      if (!staging_created_.count(stage)) {
        exec("CREATE TEMPORARY TABLE IF NOT EXISTS " + stage + " (LIKE " + t.name +
             ") ON COMMIT DELETE ROWS");
        staging_created_.insert(stage);
      }
      if (!copy_in("COPY " + stage + " FROM STDIN", data)) fail("COPY failed");
      exec(merge_sql(t));
    });
    if (options.after_write) options.after_write(*sql_);
  });
}

// Whether any of a sample of the list's keys is stored already (then the
// rows go through the merge, and COPY straight into the table is not tried).
// Issues are looked up by id alone: a stored other version only sends them
// through the merge.
template <typename T>
bool PostgresStore::any_stored(const TableInfo& t, const std::vector<T>& list,
                               const std::vector<std::size_t>& order) {
  constexpr std::size_t kSample = 16;
  std::vector<std::string> ids;
  std::size_t step = std::max<std::size_t>(1, order.size() / kSample);
  for (std::size_t k = 0; k < order.size(); k += step) ids.push_back(*list[order[k]].id);
  ids.push_back(*list[order.back()].id);
  std::string literal = array_literal(ids);
  Result r = exec("SELECT EXISTS (SELECT 1 FROM " + t.name + " WHERE id = ANY($1::text[]))",
                  {literal.c_str()});
  return std::string_view(r.value(0, 0)) == "t";
}

// COPY straight into the table, for rows whose keys are not stored: no
// staging table, no merge, and PostgreSQL writes the heap in batches. In a
// savepoint, so that a key stored meanwhile (another writer's commit, or
// one the sample missed) only undoes this COPY: false, and the caller
// merges the rows instead.
bool PostgresStore::copy_new_rows(const TableInfo& t, const std::string& data) {
  exec("SAVEPOINT kci_copy");
  if (copy_in("COPY " + t.name + " FROM STDIN", data, kUniqueViolation)) {
    exec("RELEASE SAVEPOINT kci_copy");
    return true;
  }
  exec("ROLLBACK TO SAVEPOINT kci_copy");
  return false;
}

void PostgresStore::select(ObjectType type, const Selection& sel, bool with_metadata,
                           report::Report& out) {
  const TableInfo& t = table_info(type);
  std::string sql = "SELECT ";
  bool first = true;
  for (const auto& f : *t.fields) {
    sql += (first ? "" : ", ") + select_expr(f);
    first = false;
  }
  std::vector<std::string> values;
  if (sel.column.empty()) {
    sql += " FROM " + t.name + " AS t WHERE TRUE";
  } else {
    // The values as a table, joined to the column's index (`column =
    // ANY($1)` was planned as a scan of the whole table with thousands of
    // values). Each value once, or its rows would repeat.
    std::vector<std::string> scratch;
    values.push_back(array_literal(unique_values(sel.values, scratch)));
    sql += " FROM unnest($1::text[]) AS v(value) JOIN " + t.name + " AS t ON t." + sel.column +
           " = v.value WHERE TRUE";
  }
  if (sel.after) {
    values.push_back(normalize_timestamp(*sel.after));
    sql += " AND t._timestamp > $" + std::to_string(values.size()) + "::timestamptz";
  }
  if (sel.until) {
    values.push_back(normalize_timestamp(*sel.until));
    sql += " AND t._timestamp <= $" + std::to_string(values.size()) + "::timestamptz";
  }
  std::vector<const char*> params;
  for (const auto& v : values) params.push_back(v.c_str());

  std::lock_guard lock(mutex_);
  reconnect_if_lost();
  require_initialized();
  Result r = exec(sql, params);
  report::with_object_type(type, [&](auto proto) {
    using T = decltype(proto);
    auto& list = out.list<T>();
    list.reserve(list.size() + static_cast<std::size_t>(r.rows()));
    for (int row = 0; row < r.rows(); ++row) {
      T& o = list.emplace_back();
      int col = 0;
      T::visit(o, [&](const FieldInfo& f, auto& member) {
        int i = col++;
        if (f.metadata && !with_metadata) return;
        if (!r.null(row, i)) {
          read(f, r.value(row, i), static_cast<std::size_t>(PQgetlength(r.get(), row, i)), member);
        }
      });
    }
  });
}

}  // namespace kci::store
