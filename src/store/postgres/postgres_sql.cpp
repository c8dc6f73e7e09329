// SPDX-License-Identifier: LGPL-2.1-or-later
#include "store/postgres/postgres_sql.h"

#include <libpq-fe.h>

#include <atomic>
#include <cstdlib>

#include "store/store.h"

namespace kci::store {

namespace {

class PgRow final : public SqlRow {
 public:
  PgRow(const PGresult* r, int row) : r_(r), row_(row) {}
  std::size_t size() const override { return static_cast<std::size_t>(PQnfields(r_)); }
  bool is_null(std::size_t c) const override {
    return PQgetisnull(r_, row_, static_cast<int>(c)) != 0;
  }
  std::string_view text(std::size_t c) const override {
    return {PQgetvalue(r_, row_, static_cast<int>(c)),
            static_cast<std::size_t>(PQgetlength(r_, row_, static_cast<int>(c)))};
  }

 private:
  const PGresult* r_;
  int row_;
};

struct ResultGuard {
  PGresult* r;
  ~ResultGuard() { PQclear(r); }
};

std::string head(std::string_view sql) {
  std::string out(sql.substr(0, 80));
  for (char& c : out) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return sql.size() > 80 ? out + "..." : out;
}

std::string trimmed(const char* message) {
  std::string m = message ? message : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

void ignore_notice(void*, const char*) {}

std::string next_prefix() {
  static std::atomic<unsigned> instances{0};
  return "kci_sql" + std::to_string(++instances) + "_";
}

}  // namespace

PostgresSql::PostgresSql(const DatabaseSpec& spec)
    : SqlConnection(spec), owned_(true), prefix_(next_prefix()) {
  conn_ = PQconnectdb(spec.params.c_str());
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string why = trimmed(PQerrorMessage(conn_));
    PQfinish(conn_);
    conn_ = nullptr;
    // The conninfo may hold a password: not repeated in the message.
    throw StoreError("cannot connect to PostgreSQL: " + why);
  }
  PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
  exec_script("SET TIME ZONE 'UTC'");
}

PostgresSql::PostgresSql(const DatabaseSpec& spec, pg_conn* borrowed)
    : SqlConnection(spec),
      conn_(borrowed),
      owned_(false),
      prefix_(next_prefix()),
      backend_pid_(PQbackendPID(borrowed)) {}

void PostgresSql::check_session() {
  if (owned_ && !in_transaction_ && PQstatus(conn_) == CONNECTION_BAD) {
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) {
      throw StoreError(describe() + ": the connection was lost and cannot be opened again: " +
                       trimmed(PQerrorMessage(conn_)));
    }
    backend_pid_ = PQbackendPID(conn_);
    prepared_.clear();
    ResultGuard r{PQexec(conn_, "SET TIME ZONE 'UTC'")};
    if (PQresultStatus(r.r) != PGRES_COMMAND_OK) {
      fail("SET TIME ZONE 'UTC'", "statement failed", PQresultErrorMessage(r.r));
    }
    return;
  }
  if (int pid = PQbackendPID(conn_); pid != backend_pid_ && pid != 0) {
    backend_pid_ = pid;
    prepared_.clear();
  }
}

// A borrowed connection keeps this instance's prepared statements (their
// names are unique to it) until its owner closes it.
PostgresSql::~PostgresSql() {
  if (owned_) PQfinish(conn_);
}

std::string PostgresSql::describe() const {
  return std::string("PostgreSQL database ") + PQdb(conn_) + " on " + PQhost(conn_) + ":" +
         PQport(conn_);
}

void PostgresSql::fail(std::string_view sql, const std::string& what, const char* message) {
  throw StoreError(describe() + ": " + what + " (in \"" + head(sql) + "\"): " + trimmed(message));
}

std::size_t PostgresSql::exec(std::string_view sql, const std::vector<SqlValue>& params,
                              const SqlRowCallback& on_row) {
  std::lock_guard lock(mutex_);
  check_session();
  std::string text(sql);
  auto it = prepared_.find(text);
  if (it == prepared_.end()) {
    std::string name = prefix_ + std::to_string(prepared_.size());
    ResultGuard p{PQprepare(conn_, name.c_str(), text.c_str(), 0, nullptr)};
    if (PQresultStatus(p.r) != PGRES_COMMAND_OK) {
      fail(sql, "cannot prepare", PQresultErrorMessage(p.r));
    }
    it = prepared_.emplace(std::move(text), std::move(name)).first;
  }
  std::vector<const char*> values;
  std::vector<int> lengths;
  values.reserve(params.size());
  lengths.reserve(params.size());
  for (const auto& p : params) {
    values.push_back(p ? p->c_str() : nullptr);
    lengths.push_back(p ? static_cast<int>(p->size()) : 0);
  }
  ResultGuard r{PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(values.size()),
                               values.data(), lengths.data(), nullptr, 0)};
  ExecStatusType st = PQresultStatus(r.r);
  if (st == PGRES_TUPLES_OK) {
    const int n = PQntuples(r.r);
    if (on_row) {
      for (int i = 0; i < n; ++i) on_row(PgRow(r.r, i));
    }
    return static_cast<std::size_t>(n);
  }
  if (st != PGRES_COMMAND_OK) fail(sql, "statement failed", PQresultErrorMessage(r.r));
  return static_cast<std::size_t>(std::strtoull(PQcmdTuples(r.r), nullptr, 10));
}

void PostgresSql::exec_script(std::string_view sql) {
  std::lock_guard lock(mutex_);
  check_session();
  std::string text(sql);
  ResultGuard r{PQexec(conn_, text.c_str())};
  ExecStatusType st = PQresultStatus(r.r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    fail(sql, "statement failed", PQresultErrorMessage(r.r));
  }
}

void PostgresSql::begin() {
  mutex_.lock();  // held until commit() or rollback()
  try {
    exec_script("BEGIN");
  } catch (...) {
    mutex_.unlock();
    throw;
  }
  in_transaction_ = true;
}

void PostgresSql::commit() {
  std::lock_guard lock(mutex_);
  if (!in_transaction_) throw StoreError(describe() + ": commit() without begin()");
  // A failed COMMIT ends the transaction as well (rolled back).
  in_transaction_ = false;
  mutex_.unlock();
  ResultGuard r{PQexec(conn_, "COMMIT")};
  if (PQresultStatus(r.r) != PGRES_COMMAND_OK) {
    fail("COMMIT", "commit failed", PQresultErrorMessage(r.r));
  }
  // COMMIT of a transaction an error aborted rolls it back, without error.
  if (std::string_view(PQcmdStatus(r.r)) == "ROLLBACK") {
    throw StoreError(describe() + ": transaction rolled back (a statement in it failed)");
  }
}

void PostgresSql::rollback() {
  std::lock_guard lock(mutex_);
  if (!in_transaction_) return;
  in_transaction_ = false;
  mutex_.unlock();
  PQclear(PQexec(conn_, "ROLLBACK"));
}

}  // namespace kci::store
