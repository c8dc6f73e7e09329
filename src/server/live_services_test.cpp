// SPDX-License-Identifier: LGPL-2.1-or-later
// The live services end to end through the library: reports are loaded
// through ingest::Loader (as `kci serve`'s ingester does) and, with no
// manual `kci analyze`, the regression appears in the analysis API, the
// known-issue match is recorded as an incident, and one mail is queued and
// delivered; a restart catches up what was loaded while it was down, and a
// replay of the whole log (a crash before any cursor moved) duplicates
// nothing. SQLite, and PostgreSQL on a throw-away cluster.
#include "server/live_services.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "analysis/api.h"
#include "analysis/queries.h"
#include "ingest/change_log.h"
#include "ingest/loader.h"
#include "notify/outbox.h"
#include "notify/sender_lease.h"
#include "notify/subscriptions.h"
#include "store/pg_test_cluster.h"
#include "store/sql.h"
#include "store/store.h"
#include "triage/issues_view.h"

namespace kci::server {
namespace {

namespace fs = std::filesystem;

// The outbox's transport: every send counted, by Message-ID.
class CountingTransport : public notify::Transport {
 public:
  void send(const notify::Envelope&, const std::string& message) override {
    std::lock_guard lock(mutex);
    auto p = message.find("Message-ID: ");
    ids.push_back(message.substr(p, message.find("\r\n", p) - p));
    bodies.push_back(message);
  }
  std::mutex mutex;
  std::vector<std::string> ids, bodies;
};

// Checkout n of mainline/master with one build and two tests.
report::Report checkout_report(int n, const char* login, const char* dmesg) {
  std::string day = "2026-12-0" + std::to_string(n) + "T10:00:00+00:00";
  std::string c = "lab:c" + std::to_string(n), b = "lab:b" + std::to_string(n);
  report::Report r;
  report::Checkout co;
  co.id = c;
  co.origin = "lab";
  co.tree_name = "mainline";
  co.git_repository_url = "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git";
  co.git_repository_branch = "master";
  co.git_commit_hash = std::string(40, static_cast<char>('0' + n));
  co.git_commit_name = "v6.1-rc" + std::to_string(n);
  co.start_time = day;
  r.checkouts.push_back(co);
  report::Build bu;
  bu.id = b;
  bu.checkout_id = c;
  bu.origin = "lab";
  bu.architecture = "x86_64";
  bu.config_name = "defconfig";
  bu.compiler = "gcc-12";
  bu.status = "PASS";
  bu.start_time = day;
  r.builds.push_back(bu);
  for (auto [name, path, status] : {std::tuple{"login", "baseline.login", login},
                                    std::tuple{"dmesg", "baseline.dmesg.crit", dmesg}}) {
    report::Test t;
    t.id = "lab:t" + std::to_string(n) + "-" + name;
    t.build_id = b;
    t.origin = "lab";
    t.path = path;
    t.status = status;
    t.start_time = day;
    t.environment_misc = R"({"platform":"qemu-x86_64"})";
    if (std::string(status) == "FAIL" && std::string(name) == "login")
      t.log_excerpt = "login: timed out waiting for the prompt\n";
    r.tests.push_back(t);
  }
  return r;
}

const char* kRules = R"(issues:
  - id: kci:rule:login-timeout
    report_subject: Login prompt timeout in the lab's QEMU
    culprit: harness
    match:
      test_path: "baseline.login"
      log_excerpt: ["timed out waiting for the prompt"]
)";

const char* kSubscriptions = R"(subscriptions:
  - name: mainline-maintainers
    tree: mainline
    kinds: [test]
    to: ["Maintainer <maintainer@example.org>"]
)";

std::size_t outbox_size(store::SqlConnection& sql) { return notify::Outbox(sql).entries().size(); }

void live_end_to_end(const std::string& spec_text, const fs::path& dir) {
  store::DatabaseSpec spec = store::parse_database_spec(spec_text);
  auto st = store::open_store(spec);
  st->init();
  auto sql = store::SqlConnection::open(spec);
  std::ofstream(dir / "rules.yaml") << kRules;

  auto transport = std::make_shared<CountingTransport>();
  LiveOptions o;
  o.database = spec;
  o.rules_file = (dir / "rules.yaml").string();
  o.triage_options.fetch_logs = false;
  o.notifier.subscriptions = notify::parse_subscriptions(kSubscriptions, "mainline.yaml");
  o.notifier.quiet_seconds = 0;
  o.transport = transport;
  o.poll = std::chrono::milliseconds(100);

  ingest::ChangeBus bus;
  ingest::Loader loader(*st, &bus);
  {
    LiveServices live(o);
    live.start(&bus);
    ASSERT_TRUE(live.wait_round(std::chrono::seconds(60)));
    loader.load(checkout_report(1, "PASS", "PASS"));
    loader.load(checkout_report(2, "FAIL", "FAIL"));
    // No `kci analyze`: the services follow the loads.
    ASSERT_TRUE(live.wait_round(std::chrono::seconds(60)));
    live.stop();
  }
  // The regressions, on the server's read API.
  analysis::ApiResponse api =
      analysis::handle_api(*sql, "regressions", [](const std::string&) { return std::nullopt; });
  ASSERT_EQ(api.status, 200);
  EXPECT_NE(api.body.find("baseline.dmesg.crit"), std::string::npos) << api.body;
  EXPECT_NE(api.body.find("baseline.login"), std::string::npos) << api.body;
  // The known issue matched the login failure (an incident), not the other.
  auto known = triage::known_issues_of(*st, {}, {"lab:t2-login", "lab:t2-dmesg"});
  ASSERT_EQ(known.count("lab:t2-login"), 1u);
  EXPECT_EQ(known["lab:t2-login"], std::vector<std::string>{"kci:rule:login-timeout"});
  EXPECT_EQ(known.count("lab:t2-dmesg"), 0u);
  // One mail queued and delivered: dmesg.crit a regression, login named
  // as the known issue.
  EXPECT_EQ(outbox_size(*sql), 1u);
  ASSERT_EQ(transport->ids.size(), 1u);
  EXPECT_NE(transport->bodies[0].find("1 run, 1 regression (v6.1-rc2)"), std::string::npos)
      << transport->bodies[0];
  EXPECT_NE(transport->bodies[0].find("Login prompt timeout"), std::string::npos)
      << transport->bodies[0];

  // Loaded while no service runs: caught up at the next start.
  ingest::Loader(*st).load(checkout_report(3, "PASS", "FAIL"));
  {
    LiveServices live(o);
    live.start(&bus);
    ASSERT_TRUE(live.wait_round(std::chrono::seconds(60)));
    live.stop();
  }
  bool in_c3 = false;
  for (const auto& r : analysis::regressions(*sql, {}))
    in_c3 = in_c3 || (r.identity.identity.path == "baseline.dmesg.crit" &&
                      r.last_fail.checkout_id == "lab:c3");
  EXPECT_TRUE(in_c3) << "the regression did not follow the load made while stopped";
  EXPECT_EQ(outbox_size(*sql), 2u);
  ASSERT_EQ(transport->ids.size(), 2u);
  EXPECT_NE(transport->bodies[1].find("failing since"), std::string::npos) << transport->bodies[1];

  // A crash before any cursor moved: the whole log again. Nothing new.
  sql->exec("UPDATE kci_change_cursors SET seq = 0");
  {
    LiveServices live(o);
    LiveRound r = live.run_once();
    EXPECT_GE(r.analysis.events, 3u);
    EXPECT_GE(r.triage.events, 3u);
    EXPECT_GE(r.notify_events, 3u);
    EXPECT_EQ(r.queued, 0);
  }
  EXPECT_EQ(outbox_size(*sql), 2u);
  EXPECT_EQ(transport->ids.size(), 2u);
  EXPECT_NE(transport->ids[0], transport->ids[1]);
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/kci-live-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(LiveServicesSqlite, RegressionTriageAndOneMailWithoutManualAnalyze) {
  TempDir dir;
  live_end_to_end("sqlite:" + (dir.path() / "kci.db").string(), dir.path());
}

TEST(LiveServicesPostgresql, RegressionTriageAndOneMailWithoutManualAnalyze) {
  auto* cluster = store::testing::PgTestCluster::get();
  if (!cluster) {
    if (std::getenv("CI") && std::string(std::getenv("CI")) == "true")
      FAIL() << "PostgreSQL is required under CI=true: "
             << store::testing::PgTestCluster::skip_reason();
    GTEST_SKIP() << store::testing::PgTestCluster::skip_reason();
  }
  TempDir dir;
  live_end_to_end(cluster->create_database(), dir.path());
}

// Two senders on one database: only the lease holder delivers.
TEST(SenderLease, OneHolderAtATime) {
  TempDir dir;
  std::string spec = "sqlite:" + (dir.path() / "l.db").string();
  store::open_store(spec)->init();
  auto sql = store::SqlConnection::open(store::parse_database_spec(spec));
  notify::SenderLease a(*sql, "a", 60), b(*sql, "b", 60);
  EXPECT_TRUE(a.acquire(1000));
  EXPECT_FALSE(b.acquire(1001));
  EXPECT_TRUE(a.acquire(1030));  // renewed to 1090
  EXPECT_FALSE(b.acquire(1089));
  EXPECT_TRUE(b.acquire(1091));  // a died: its lease expired
  EXPECT_FALSE(a.acquire(1092));
  b.release();
  EXPECT_TRUE(a.acquire(1093));
}

// A sender killed with -9 on this host: its successor takes the lease at
// once, not after it expires; a live holder keeps it.
TEST(SenderLease, ADeadHolderOfThisHostIsReplacedAtOnce) {
  TempDir dir;
  std::string spec = "sqlite:" + (dir.path() / "l.db").string();
  store::open_store(spec)->init();
  auto sql = store::SqlConnection::open(store::parse_database_spec(spec));
  pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  waitpid(child, nullptr, 0);
  std::string host = notify::SenderLease::default_holder();
  host = host.substr(0, host.find(':'));
  const std::string dead = host + ":" + std::to_string(child) + ":1";
  const std::string alive = host + ":" + std::to_string(getppid()) + ":1";
  EXPECT_TRUE(notify::SenderLease::holder_is_dead_here(dead));
  EXPECT_FALSE(notify::SenderLease::holder_is_dead_here(alive));
  EXPECT_FALSE(
      notify::SenderLease::holder_is_dead_here("elsewhere:" + std::to_string(child) + ":1"));
  EXPECT_FALSE(notify::SenderLease::holder_is_dead_here("a"));

  notify::SenderLease gone(*sql, dead, 60), next(*sql, "next", 60), live(*sql, alive, 60);
  EXPECT_TRUE(gone.acquire(1000));
  EXPECT_TRUE(next.acquire(1001));  // long before 1060
  next.release();
  EXPECT_TRUE(live.acquire(1002));
  EXPECT_FALSE(next.acquire(1003));
}

}  // namespace
}  // namespace kci::server
