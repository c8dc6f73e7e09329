// SPDX-License-Identifier: LGPL-2.1-or-later
#include "store/wakeup.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "store/pg_test_cluster.h"
#include "store/store.h"
#include "util/test_support.h"

namespace kci::store {
namespace {

using std::chrono::milliseconds;
// Long enough never to be reached when the wake-up works: a broken one
// makes the test hang until CTest's timeout fails it (no timed assertion).
constexpr milliseconds kForever{600'000};

class WakeupPgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto* cluster = testing::PgTestCluster::get();
    if (!cluster) KCI_MISSING_REAL_PART("no PostgreSQL: " << testing::PgTestCluster::skip_reason());
    spec_ = parse_database_spec(cluster->create_database());
    writer_ = SqlConnection::open(spec_);
  }
  DatabaseSpec spec_;
  std::unique_ptr<SqlConnection> writer_;
};

TEST_F(WakeupPgTest, AnnouncementArrivesWhenTheTransactionCommits) {
  WakeupListener listener(spec_, {kNodesChannel});
  EXPECT_TRUE(listener.listening());
  EXPECT_FALSE(listener.wait(milliseconds(0)));
  writer_->begin();
  announce(*writer_, kNodesChannel);
  announce(*writer_, kNodesChannel);
  // Not committed: nothing to see yet.
  EXPECT_FALSE(listener.wait(milliseconds(200)));
  writer_->commit();
  EXPECT_TRUE(listener.wait(kForever));
  // Two announcements of one transaction are one wake-up, consumed.
  EXPECT_FALSE(listener.wait(milliseconds(100)));
  // Outside a transaction: at once.
  announce(*writer_, kNodesChannel);
  EXPECT_TRUE(listener.wait(kForever));
}

TEST_F(WakeupPgTest, RolledBackAndOtherChannelsWakeNobody) {
  WakeupListener listener(spec_, {kNodesChannel});
  writer_->begin();
  announce(*writer_, kNodesChannel);
  writer_->rollback();
  announce(*writer_, kChangesChannel);
  EXPECT_FALSE(listener.wait(milliseconds(300)));
  WakeupListener both(spec_, {kNodesChannel, kChangesChannel});
  announce(*writer_, kChangesChannel);
  EXPECT_TRUE(both.wait(kForever));
  EXPECT_FALSE(listener.wait(milliseconds(100)));
}

TEST_F(WakeupPgTest, AnotherThreadWaitsAndIsWoken) {
  WakeupListener listener(spec_, {kChangesChannel});
  bool woken = false;
  std::thread waiter([&] { woken = listener.wait(kForever); });
  // The waiter may start waiting before or after this: either way the
  // announcement is pending on its connection and wakes it.
  announce(*writer_, kChangesChannel);
  waiter.join();
  EXPECT_TRUE(woken);
}

TEST_F(WakeupPgTest, InterruptEndsAWait) {
  WakeupListener listener(spec_, {kNodesChannel});
  listener.interrupt();
  EXPECT_FALSE(listener.wait(kForever));
  bool result = true;
  std::thread waiter([&] { result = listener.wait(kForever); });
  usleep(50'000);
  listener.interrupt();
  waiter.join();
  EXPECT_FALSE(result);
}

TEST_F(WakeupPgTest, ListensAgainAfterLosingItsConnection) {
  WakeupListener listener(spec_, {kNodesChannel});
  // The server ends the listener's session (a restart, an operator).
  std::size_t ended = writer_->exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
      "WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'");
  ASSERT_EQ(ended, 1u);
  // pg_terminate_backend only signals the session: wait until it is gone
  // (on a loaded machine it may otherwise still take the next NOTIFY).
  while (writer_->exec("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'") > 0) {
    usleep(10'000);
  }
  // Made while the listener is away: the server drops it.
  announce(*writer_, kNodesChannel);
  // The loss shows as wake-less returns; listening again is reported as a
  // wake-up, since what was announced meanwhile is lost. (A listener that
  // never reconnects hangs here until CTest's timeout fails the test.)
  while (!listener.wait(kForever)) {
  }
  EXPECT_FALSE(listener.wait(milliseconds(50)));
  // And it does listen again.
  announce(*writer_, kNodesChannel);
  EXPECT_TRUE(listener.wait(kForever));
}

TEST(WakeupAwayTest, AServerThatCannotBeReachedMakesWaitsSleep) {
  DatabaseSpec away =
      parse_database_spec("postgresql:host=127.0.0.1 port=1 dbname=nothing connect_timeout=2");
  WakeupListener listener(away, {kNodesChannel});
  EXPECT_TRUE(listener.listening());
  // Nothing to connect to: each wait sleeps its timeout and says no.
  EXPECT_FALSE(listener.wait(milliseconds(20)));
  EXPECT_FALSE(listener.wait(milliseconds(20)));
}

TEST(WakeupSqliteTest, NothingToListenToTheWaitSleeps) {
  char tmpl[] = "/tmp/kci-wakeup-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  DatabaseSpec spec = parse_database_spec("sqlite:" + dir + "/test.db");
  open_store(spec)->init();
  {
    auto sql = SqlConnection::open(spec);
    WakeupListener listener(spec, {kNodesChannel});
    EXPECT_FALSE(listener.listening());
    announce(*sql, kNodesChannel);  // no statement, no error
    EXPECT_FALSE(listener.wait(milliseconds(20)));
    listener.interrupt();
    EXPECT_FALSE(listener.wait(kForever));
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kci::store
