// SPDX-License-Identifier: LGPL-2.1-or-later
// The SQL facility on both drivers: SQLite (a file per test) and PostgreSQL
// (a database per test in the throw-away cluster).
#include "store/sql.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "store/pg_test_cluster.h"
#include "store/schema.h"
#include "store/store.h"
#include "util/test_support.h"

namespace kci::store {
namespace {

TEST(SqliteParameters, TranslatesOutsideLiteralsAndComments) {
  EXPECT_EQ(sqlite_parameters("SELECT $1, $2 FROM t WHERE a = $10"),
            "SELECT ?1, ?2 FROM t WHERE a = ?10");
  EXPECT_EQ(sqlite_parameters("SELECT '$1', \"$2\", $3 -- $4\n, $5 /* $6 */ $7"),
            "SELECT '$1', \"$2\", ?3 -- $4\n, ?5 /* $6 */ ?7");
  EXPECT_EQ(sqlite_parameters("SELECT 'it''s $1', $2"), "SELECT 'it''s $1', ?2");
  EXPECT_EQ(sqlite_parameters("SELECT '$1"), "SELECT '$1");  // unterminated: left alone
  EXPECT_EQ(sqlite_parameters("SELECT $ || $a"), "SELECT $ || $a");
}

class SqlTest : public ::testing::TestWithParam<Driver> {
 protected:
  void SetUp() override {
    if (GetParam() == Driver::kPostgresql) {
      auto* cluster = testing::PgTestCluster::get();
      if (!cluster) {
        KCI_MISSING_REAL_PART("no PostgreSQL: " << testing::PgTestCluster::skip_reason());
      }
      spec_ = parse_database_spec(cluster->create_database());
    } else {
      char tmpl[] = "/tmp/kci-sql-test-XXXXXX";
      ASSERT_NE(mkdtemp(tmpl), nullptr);
      dir_ = tmpl;
      spec_ = parse_database_spec("sqlite:" + dir_ + "/test.db");
      open_store(spec_)->init();  // SqlConnection::open wants an existing file
    }
    sql_ = SqlConnection::open(spec_);
    sql_->exec_script("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER, flag BOOLEAN, note TEXT)");
  }
  void TearDown() override {
    sql_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::vector<std::string> ids(const std::string& where = "", std::vector<SqlValue> params = {}) {
    std::vector<std::string> out;
    sql_->exec("SELECT id FROM t " + where + " ORDER BY id", params,
               [&](const SqlRow& r) { out.emplace_back(r.text(0)); });
    return out;
  }

  DatabaseSpec spec_;
  std::string dir_;
  std::unique_ptr<SqlConnection> sql_;
};

TEST_P(SqlTest, ParametersAndValues) {
  EXPECT_EQ(sql_->exec("INSERT INTO t (id, n, flag, note) VALUES ($1, $2, $3, $4)",
                       {"a", "42", sql_->sql_bool(true), std::nullopt}),
            1u);
  // A parameter used twice and out of order.
  EXPECT_EQ(sql_->exec("INSERT INTO t (id, n, flag, note) VALUES ($2, $1, $3, $2)",
                       {"-7", "b", sql_->sql_bool(false)}),
            1u);
  int rows = 0;
  sql_->exec("SELECT id, n, flag, note FROM t WHERE id = $1", {"a"}, [&](const SqlRow& r) {
    ++rows;
    EXPECT_EQ(r.size(), 4u);
    EXPECT_EQ(r.text(0), "a");
    EXPECT_EQ(r.integer(1), 42);
    EXPECT_EQ(r.real(1), 42.0);
    EXPECT_TRUE(r.boolean(2));
    EXPECT_TRUE(r.is_null(3));
    EXPECT_EQ(r.optional_text(3), std::nullopt);
    EXPECT_THROW(r.integer(3), StoreError);
    EXPECT_THROW(r.integer(0), StoreError);
  });
  EXPECT_EQ(rows, 1);
  sql_->exec("SELECT n, flag, note FROM t WHERE id = $1", {"b"}, [&](const SqlRow& r) {
    EXPECT_EQ(r.integer(0), -7);
    EXPECT_FALSE(r.boolean(1));
    EXPECT_EQ(r.optional_text(2), "b");
  });
  // Integer comparisons and LIMIT take text parameters.
  EXPECT_EQ(ids("WHERE n > $1", {"0"}), std::vector<std::string>{"a"});
  EXPECT_EQ(sql_->exec("SELECT id FROM t ORDER BY id LIMIT $1", {"1"}), 1u);
  // A value that would be SQL if pasted stays a value.
  std::string evil = "x'); DROP TABLE t; --";
  sql_->exec("INSERT INTO t (id) VALUES ($1)", {evil});
  EXPECT_EQ(ids("WHERE id = $1", {evil}), std::vector<std::string>{evil});
  // Changed-row counts, and returned-row counts.
  EXPECT_EQ(sql_->exec("UPDATE t SET note = $1 WHERE n IS NOT NULL", {"z"}), 2u);
  EXPECT_EQ(sql_->exec("SELECT id FROM t WHERE note = $1", {"z"}), 2u);
  EXPECT_EQ(sql_->exec("DELETE FROM t WHERE id = $1", {"nope"}), 0u);
}

TEST_P(SqlTest, ErrorsNameTheStatement) {
  try {
    sql_->exec("SELECT nosuchcolumn FROM t");
    FAIL() << "no error";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("SELECT nosuchcolumn FROM t"), std::string::npos)
        << e.what();
  }
  try {
    sql_->exec("INSERT INTO t (id) VALUES ($1)", {"dup"});
    sql_->exec("INSERT INTO t (id) VALUES ($1)", {"dup"});
    FAIL() << "no error";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("INSERT INTO t"), std::string::npos) << e.what();
  }
  // The connection is usable after an error.
  EXPECT_EQ(ids(), std::vector<std::string>{"dup"});
}

TEST_P(SqlTest, CachedStatementMayRunInsideItsOwnRowCallback) {
  for (const char* id : {"a", "b", "c"}) sql_->exec("INSERT INTO t (id) VALUES ($1)", {id});
  const std::string q = "SELECT id FROM t WHERE id >= $1 ORDER BY id";
  std::vector<std::string> pairs;
  sql_->exec(q, {"b"}, [&](const SqlRow& outer) {
    std::string o(outer.text(0));
    sql_->exec(q, {o},
               [&](const SqlRow& inner) { pairs.push_back(o + std::string(inner.text(0))); });
  });
  EXPECT_EQ(pairs, (std::vector<std::string>{"bb", "bc", "cc"}));
}

TEST_P(SqlTest, TransactionsCommitAndRollBack) {
  int v = sql_->transaction([&] {
    sql_->exec("INSERT INTO t (id) VALUES ($1)", {"kept"});
    return 7;
  });
  EXPECT_EQ(v, 7);
  EXPECT_THROW(sql_->transaction([&] {
    sql_->exec("INSERT INTO t (id) VALUES ($1)", {"lost"});
    throw StoreError("boom");
  }),
               StoreError);
  EXPECT_FALSE(sql_->in_transaction());
  // A failing statement rolls back the whole transaction.
  EXPECT_THROW(sql_->transaction([&] {
    sql_->exec("INSERT INTO t (id) VALUES ($1)", {"lost2"});
    sql_->exec("INSERT INTO t (id) VALUES ($1)", {"kept"});
  }),
               StoreError);
  EXPECT_EQ(ids(), std::vector<std::string>{"kept"});
  EXPECT_THROW(sql_->commit(), StoreError);
}

TEST_P(SqlTest, TransactionHoldsTheConnectionForItsThread) {
  // Another thread's statements on the same connection wait for the end of
  // the transaction instead of landing inside it.
  std::atomic<bool> inside{false};
  std::thread other;
  EXPECT_THROW(sql_->transaction([&] {
    sql_->exec("INSERT INTO t (id) VALUES ($1)", {"tx"});
    other = std::thread([&] {
      inside = true;
      sql_->exec("INSERT INTO t (id) VALUES ($1)", {"other"});
    });
    while (!inside) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    throw std::runtime_error("roll back");
  }),
               std::runtime_error);
  other.join();
  EXPECT_EQ(ids(), std::vector<std::string>{"other"});
}

TEST_P(SqlTest, TwoConnectionsWriteInTurn) {
  auto second = SqlConnection::open(spec_);
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      SqlConnection& c = w ? *second : *sql_;
      for (int i = 0; i < 20; ++i) {
        c.transaction([&] {
          int n = 0;
          c.exec("SELECT count(*) FROM t", {},
                 [&](const SqlRow& r) { n = static_cast<int>(r.integer(0)); });
          c.exec("INSERT INTO t (id, n) VALUES ($1, $2)",
                 {std::to_string(w) + "-" + std::to_string(i), std::to_string(n)});
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ids().size(), 40u);
}

TEST_P(SqlTest, MigrationsPerComponent) {
  const std::vector<Migration> v1 = {
      {1, "widgets", "CREATE TABLE widgets (id TEXT PRIMARY KEY)",
       "CREATE TABLE widgets (id TEXT PRIMARY KEY)"},
  };
  std::vector<Migration> v2 = v1;
  v2.push_back(
      {2, "widget sizes; an index",
       "ALTER TABLE widgets ADD COLUMN size INTEGER; CREATE INDEX widgets_size ON widgets (size)",
       "ALTER TABLE widgets ADD COLUMN size BIGINT; CREATE INDEX widgets_size ON widgets (size)"});
  EXPECT_EQ(sql_->component_version("widgets"), 0);
  EXPECT_EQ(sql_->apply_migrations("widgets", v1), 1);
  EXPECT_EQ(sql_->apply_migrations("widgets", v2), 2);
  EXPECT_EQ(sql_->apply_migrations("widgets", v2), 2);
  EXPECT_EQ(sql_->component_version("widgets"), 2);
  sql_->exec("INSERT INTO widgets (id, size) VALUES ($1, $2)", {"w", "3"});
  // Older code refuses a newer schema.
  EXPECT_THROW(sql_->apply_migrations("widgets", v1), StoreError);
  // A failing step leaves the version where it was.
  std::vector<Migration> bad = v2;
  bad.push_back({3, "broken", "CREATE TABLE widgets (id TEXT)", "CREATE TABLE widgets (id TEXT)"});
  EXPECT_THROW(sql_->apply_migrations("widgets", bad), StoreError);
  EXPECT_EQ(sql_->component_version("widgets"), 2);
  // The store sees the same records through its own connection.
  auto store = open_store(spec_);
  store->init();
  EXPECT_EQ(store->component_version("widgets"), 2);
  EXPECT_EQ(store->component_version(kStoreComponent), store_migrations().back().version);
  EXPECT_EQ(store->with_sql([](SqlConnection& c) { return c.component_version("widgets"); }), 2);
}

INSTANTIATE_TEST_SUITE_P(Drivers, SqlTest, ::testing::Values(Driver::kSqlite, Driver::kPostgresql),
                         [](const auto& param_info) {
                           return param_info.param == Driver::kSqlite ? "Sqlite" : "Postgresql";
                         });

TEST(SqlMemory, StoreConnectionReachesAMemoryDatabase) {
  auto store = open_store("sqlite::memory:");
  store->init();
  int n = store->with_sql([](SqlConnection& c) {
    c.exec_script("CREATE TABLE extra (x TEXT)");
    c.exec("INSERT INTO extra (x) VALUES ($1)", {"y"});
    return static_cast<int>(c.exec("SELECT x FROM extra"));
  });
  EXPECT_EQ(n, 1);
}

}  // namespace
}  // namespace kci::store
