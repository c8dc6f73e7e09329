// SPDX-License-Identifier: LGPL-2.1-or-later
// The throw-away PostgreSQL cluster of the store tests (see pg_test_cluster.h).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "store/pg_test_cluster.h"
#include "util/subprocess.h"

namespace kci::store::testing {

namespace {

PgTestCluster* g_cluster = nullptr;
std::string g_skip_reason = "PostgreSQL test cluster not started";

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return 0;
  }
  close(fd);
  return ntohs(addr.sin_port);
}

std::string quote(const std::string& s) { return "'" + s + "'"; }

bool g_tried = false;

// Stops the cluster after the last test. The cluster itself starts on the
// first PgTestCluster::get(), so that a process running only SQLite tests
// (ctest runs each test in its own process) starts no PostgreSQL.
class PgEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    if (g_cluster) g_cluster->stop();
    delete g_cluster;
    g_cluster = nullptr;
  }
};

[[maybe_unused]] auto* const g_env = ::testing::AddGlobalTestEnvironment(new PgEnvironment);

}  // namespace

PgTestCluster* PgTestCluster::get() {
  if (!g_tried) {
    g_tried = true;
    auto* c = new PgTestCluster();
    if (c->start()) {
      g_cluster = c;
    } else {
      c->stop();
      delete c;
    }
  }
  return g_cluster;
}
const std::string& PgTestCluster::skip_reason() { return g_skip_reason; }

bool PgTestCluster::start() {
  bin_ = "/usr/lib/postgresql/15/bin";
  if (const char* b = std::getenv("KCI_PG_BIN")) bin_ = b;
  if (access((bin_ + "/initdb").c_str(), X_OK) != 0) {
    g_skip_reason = "PostgreSQL 15 is not installed (no " + bin_ +
                    "/initdb; scripts/install-deps.sh test installs postgresql-15)";
    return false;
  }
  char tmpl[] = "/tmp/kci-pgtest-XXXXXX";
  if (!mkdtemp(tmpl)) {
    g_skip_reason = "cannot create a temporary directory for PostgreSQL";
    return false;
  }
  dir_ = tmpl;
  // Postgres refuses to run as root: run it as the postgres user then,
  // which must own the data directory.
  as_postgres_user_ = geteuid() == 0;
  if (as_postgres_user_) {
    passwd* pw = getpwnam("postgres");
    if (!pw || chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      g_skip_reason = "running as root and there is no postgres user to run PostgreSQL";
      return false;
    }
  }
  port_ = free_port();
  auto run = [&](const std::string& cmd) {
    std::vector<std::string> argv = as_postgres_user_
                                        ? std::vector<std::string>{"su", "postgres", "-c", cmd}
                                        : std::vector<std::string>{"sh", "-c", cmd};
    RunOptions o;
    o.timeout = std::chrono::seconds(60);
    return run_process(argv, o);
  };
  RunResult r =
      run(bin_ + "/initdb -D " + quote(dir_ + "/data") + " -A trust -U postgres --no-sync -E UTF8");
  if (!r.ok()) {
    g_skip_reason = "initdb failed: " + r.err;
    return false;
  }
  r = run(bin_ + "/pg_ctl -D " + quote(dir_ + "/data") + " -l " + quote(dir_ + "/log") + " -o " +
          quote("-p " + std::to_string(port_) + " -k " + dir_ +
                " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50") +
          " -w start");
  if (!r.ok()) {
    g_skip_reason = "pg_ctl start failed: " + r.out + r.err;
    return false;
  }
  return true;
}

void PgTestCluster::stop() {
  if (dir_.empty()) return;
  std::string cmd = bin_ + "/pg_ctl -D " + quote(dir_ + "/data") + " -m immediate -w stop";
  std::vector<std::string> argv = as_postgres_user_
                                      ? std::vector<std::string>{"su", "postgres", "-c", cmd}
                                      : std::vector<std::string>{"sh", "-c", cmd};
  try {
    run_process(argv);
  } catch (const std::exception&) {
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string PgTestCluster::admin_conninfo() const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=postgres";
}

std::string PgTestCluster::create_database() {
  std::string name = "kci_test_" + std::to_string(getpid()) + "_" + std::to_string(next_db_++);
  PGconn* c = PQconnectdb(admin_conninfo().c_str());
  PGresult* r = PQexec(c, ("CREATE DATABASE " + name).c_str());
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string err = PQerrorMessage(c);
  PQclear(r);
  PQfinish(c);
  if (!ok) throw std::runtime_error("CREATE DATABASE failed: " + err);
  return "postgresql:host=127.0.0.1 port=" + std::to_string(port_) +
         " user=postgres dbname=" + name;
}

}  // namespace kci::store::testing
