// SPDX-License-Identifier: LGPL-2.1-or-later
// For the notify tests only (includes GoogleTest): the set-up they share.
// A fresh temporary directory, a store database in it (SQLite) or on the
// throw-away PostgreSQL cluster, initialised and opened as the notifier
// opens it, and the rule for the SMTP server they deliver to.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "notify/smtp_sink.h"
#include "store/pg_test_cluster.h"
#include "store/sql.h"
#include "store/store.h"
#include "util/test_support.h"

namespace kci::notify::testing {

// /tmp/kci-NAME-PID, empty.
inline std::filesystem::path fresh_temp_dir(const std::string& name) {
  auto d =
      std::filesystem::temp_directory_path() / ("kci-" + name + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

// The SMTP server of the tests (smtp_sink.h).
inline std::string smtp_sink_script() {
  return std::string(KCI_SOURCE_DIR) + "/src/notify/testdata/smtp_sink.py";
}

// A store database, initialised (its tables and migrations), with the
// Store and the SqlConnection of the notify code.
struct TestDatabase {
  std::string spec_text;
  store::DatabaseSpec spec;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<store::SqlConnection> sql;

  explicit TestDatabase(std::string text)
      : spec_text(std::move(text)), spec(store::parse_database_spec(spec_text)) {
    store = store::open_store(spec);
    store->init(true);
    sql = store::SqlConnection::open(spec);
  }
  // SQLite: DIR/kci.db.
  static std::unique_ptr<TestDatabase> sqlite(const std::filesystem::path& dir) {
    return std::make_unique<TestDatabase>("sqlite:" + (dir / "kci.db").string());
  }
};

// A test fixture with a fresh directory and a database: SQLite in the
// directory, or a new database of the throw-away PostgreSQL cluster (when
// the cluster cannot start, the test is skipped, and fails under CI=true).
// Base is ::testing::Test or ::testing::TestWithParam<...>.
template <class Base = ::testing::Test>
class DatabaseFixture : public Base {
 protected:
  // Call from SetUp; after a skip or failure, return at once.
  void open_database(const std::string& name, store::Driver driver = store::Driver::kSqlite) {
    dir_ = fresh_temp_dir(name);
    if (driver == store::Driver::kSqlite) {
      db_ = TestDatabase::sqlite(dir_);
      return;
    }
    auto* pg = store::testing::PgTestCluster::get();
    if (!pg) {
      KCI_MISSING_REAL_PART("PostgreSQL: " << store::testing::PgTestCluster::skip_reason());
    }
    db_ = std::make_unique<TestDatabase>(pg->create_database());
  }
  void TearDown() override {
    db_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<TestDatabase> db_;
};

}  // namespace kci::notify::testing

// Skips a test that needs python3-aiosmtpd when it is missing (fails under
// CI=true, where every real part must run).
#define KCI_REQUIRE_AIOSMTPD()                                    \
  do {                                                            \
    if (!::kci::notify::testing::aiosmtpd_available()) {          \
      KCI_MISSING_REAL_PART("python3-aiosmtpd is not installed"); \
    }                                                             \
  } while (0)
