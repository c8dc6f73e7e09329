// SPDX-License-Identifier: LGPL-2.1-or-later
// For tests: a throw-away PostgreSQL 15 cluster (initdb + pg_ctl as the
// postgres user on a free 127.0.0.1 port), started once per test process on
// first use and removed after the last test (a GoogleTest environment). Only test binaries
// include this (the implementation lives in pg_test_cluster_test.cpp).
#pragma once

#include <string>

namespace kci::store::testing {

// get(): the running cluster (started on the first call), or nullptr when
// PostgreSQL is not installed or did not start; skip_reason() then says why.
class PgTestCluster {
 public:
  static PgTestCluster* get();
  static const std::string& skip_reason();
  // A spec for a new empty database of its own (for one test).
  std::string create_database();
  std::string admin_conninfo() const;
  int port() const { return port_; }

  bool start();
  void stop();

 private:
  std::string dir_;
  std::string bin_;
  int port_ = 0;
  bool as_postgres_user_ = false;
  int next_db_ = 0;
};

}  // namespace kci::store::testing
