// SPDX-License-Identifier: LGPL-2.1-or-later
// The change log and the Loader on both drivers: SQLite (a file per test)
// and PostgreSQL (a database per test in the throw-away cluster).
#include "ingest/change_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "ingest/loader.h"
#include "store/pg_test_cluster.h"
#include "store/store.h"
#include "store/wakeup.h"
#include "util/test_support.h"

namespace kci::ingest {
namespace {

using store::Driver;

TEST(ObjectsChangedJson, RoundTrips) {
  ObjectsChanged e;
  e.sequence = 12;
  e.committed_at = "2026-12-06T10:00:00.000000+00:00";
  e.checkouts = {"o:c1"};
  e.builds = {"o:b1", "o:b\"2"};
  e.tests = {"o:t1"};
  e.issues = {{"o:i1", 3}};
  e.builds_status_changed = {"o:b1"};
  ObjectsChanged back = objects_changed_from_json(to_json(e));
  EXPECT_EQ(back.sequence, 12u);
  EXPECT_EQ(back.committed_at, e.committed_at);
  EXPECT_EQ(back.builds, e.builds);
  EXPECT_EQ(back.issues, e.issues);
  EXPECT_EQ(back.builds_status_changed, e.builds_status_changed);
  EXPECT_TRUE(back.incidents.empty());
  EXPECT_THROW(objects_changed_from_json("{\"sequence\":1}"), InvalidInputError);
  EXPECT_THROW(objects_changed_from_json("[]"), InvalidInputError);
}

TEST(ChangeBus, FansOutInOrderAndSurvivesAFailingSubscriber) {
  ChangeBus bus;
  std::vector<std::string> calls;
  int a = bus.subscribe(
      [&](const ObjectsChanged& e) { calls.push_back("a" + std::to_string(e.sequence)); });
  bus.subscribe([&](const ObjectsChanged&) { throw std::runtime_error("consumer bug"); });
  bus.subscribe(
      [&](const ObjectsChanged& e) { calls.push_back("c" + std::to_string(e.sequence)); });
  ObjectsChanged e;
  e.sequence = 1;
  bus.publish(e);
  bus.unsubscribe(a);
  e.sequence = 2;
  bus.publish(e);
  EXPECT_EQ(calls, (std::vector<std::string>{"a1", "c1", "c2"}));
}

class ChangeLogTest : public ::testing::TestWithParam<Driver> {
 protected:
  void SetUp() override {
    if (GetParam() == Driver::kPostgresql) {
      auto* cluster = store::testing::PgTestCluster::get();
      if (!cluster) {
        KCI_MISSING_REAL_PART("no PostgreSQL: " << store::testing::PgTestCluster::skip_reason());
      }
      spec_ = store::parse_database_spec(cluster->create_database());
    } else {
      char tmpl[] = "/tmp/kci-changes-test-XXXXXX";
      ASSERT_NE(mkdtemp(tmpl), nullptr);
      dir_ = tmpl;
      spec_ = store::parse_database_spec("sqlite:" + dir_ + "/test.db");
    }
    store_ = store::open_store(spec_);
    store_->init();
    sql_ = store::SqlConnection::open(spec_);
    log_ = std::make_unique<ChangeLog>(*sql_);
  }
  void TearDown() override {
    log_.reset();
    sql_.reset();
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  store::DatabaseSpec spec_;
  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::SqlConnection> sql_;
  std::unique_ptr<ChangeLog> log_;
};

ObjectsChanged event_of_build(const std::string& id) {
  ObjectsChanged e;
  e.builds = {id};
  return e;
}

TEST_P(ChangeLogTest, SequenceGrowsAndReadsResumeAfterACursor) {
  EXPECT_EQ(log_->last_sequence(), 0u);
  std::vector<std::uint64_t> seqs;
  for (int i = 0; i < 5; ++i) {
    ObjectsChanged e = event_of_build("o:b" + std::to_string(i));
    seqs.push_back(log_->append(e));
    EXPECT_EQ(e.sequence, seqs.back());
    EXPECT_FALSE(e.committed_at.empty());
  }
  for (std::size_t i = 1; i < seqs.size(); ++i) EXPECT_GT(seqs[i], seqs[i - 1]);
  EXPECT_EQ(log_->last_sequence(), seqs.back());

  auto first = log_->read_after(0, 2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].sequence, seqs[0]);
  EXPECT_EQ(first[1].builds, std::vector<std::string>{"o:b1"});
  auto rest = log_->read_after(first.back().sequence, 100);
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_EQ(rest.back().sequence, seqs.back());
  EXPECT_TRUE(log_->read_after(seqs.back(), 100).empty());

  // Cursors: per consumer, durable, never moved backwards.
  EXPECT_EQ(log_->cursor("analysis"), 0u);
  log_->advance("analysis", seqs[2]);
  log_->advance("notify", seqs[0]);
  log_->advance("analysis", seqs[1]);
  auto other = store::SqlConnection::open(spec_);
  ChangeLog again(*other);
  EXPECT_EQ(again.cursor("analysis"), seqs[2]);
  EXPECT_EQ(again.cursor("notify"), seqs[0]);
  EXPECT_EQ(again.cursors().size(), 2u);
}

TEST_P(ChangeLogTest, RolledBackAppendLeavesNoEvent) {
  ObjectsChanged e = event_of_build("o:lost");
  EXPECT_THROW(sql_->transaction([&] {
    log_->append_in_transaction(e);
    throw std::runtime_error("load failed");
  }),
               std::runtime_error);
  EXPECT_TRUE(log_->read_after(0, 10).empty());
  ObjectsChanged kept = event_of_build("o:kept");
  log_->append(kept);
  auto all = log_->read_after(0, 10);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].builds, std::vector<std::string>{"o:kept"});
}

// Consumers in other processes wake when an append commits (PostgreSQL
// NOTIFY); a rolled-back append wakes nobody. SQLite has nothing to
// listen to.
TEST_P(ChangeLogTest, CommittedAppendWakesListeners) {
  store::WakeupListener listener(spec_, {store::kChangesChannel});
  EXPECT_EQ(listener.listening(), GetParam() == Driver::kPostgresql);
  if (!listener.listening()) return;
  ObjectsChanged lost = event_of_build("o:lost");
  try {
    sql_->transaction([&] {
      log_->append_in_transaction(lost);
      throw std::runtime_error("load failed");
    });
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(listener.wait(std::chrono::milliseconds(200)));
  ObjectsChanged kept = event_of_build("o:kept");
  log_->append(kept);
  EXPECT_TRUE(listener.wait(std::chrono::minutes(10)));
}

// Appenders that hold their transaction open after taking a sequence (as a
// load does until it commits) commit out of order; a reader that follows
// its cursor must still see every event.
TEST_P(ChangeLogTest, ConcurrentAppendersLeaveNoGapBehindAReader) {
  constexpr int kWriters = 3, kEach = 15;
  std::atomic<int> done{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto c = store::SqlConnection::open(spec_);
      ChangeLog log(*c, false);
      for (int i = 0; i < kEach; ++i) {
        c->transaction([&] {
          ObjectsChanged e = event_of_build("o:" + std::to_string(w) + "-" + std::to_string(i));
          log.append_in_transaction(e);
          // Commit later than a writer that appends after us, unless the
          // log keeps them in order.
          std::this_thread::sleep_for(std::chrono::milliseconds((w * 7 + i * 3) % 11));
        });
      }
      ++done;
    });
  }
  auto reader_connection = store::SqlConnection::open(spec_);
  ChangeLog reader(*reader_connection, false);
  std::uint64_t cursor = 0;
  std::set<std::string> seen;
  for (;;) {
    bool finished = done == kWriters;  // read once more after the last commit
    for (const ObjectsChanged& e : reader.read_after(cursor, 7)) {
      EXPECT_GT(e.sequence, cursor);
      cursor = e.sequence;
      seen.insert(e.builds.at(0));
    }
    if (finished && reader.read_after(cursor, 1).empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kWriters * kEach));
}

report::Build build(const std::string& id, const char* status) {
  report::Build b;
  b.id = id;
  b.origin = "o";
  b.checkout_id = "o:c";
  if (status) b.status = status;
  return b;
}

report::Test test(const std::string& id, const char* status) {
  report::Test t;
  t.id = id;
  t.origin = "o";
  t.build_id = "o:b1";
  if (status) t.status = status;
  return t;
}

TEST_P(ChangeLogTest, LoaderAnnouncesEachLoadWithItsStatusChanges) {
  ChangeBus bus;
  std::vector<ObjectsChanged> published;
  bus.subscribe([&](const ObjectsChanged& e) { published.push_back(e); });
  Loader loader(*store_, &bus);

  report::Report r;
  report::Checkout c;
  c.id = "o:c";
  c.origin = "o";
  r.checkouts.push_back(c);
  r.builds = {build("o:b2", "PASS"), build("o:b1", "PASS"), build("o:b3", nullptr)};
  r.tests = {test("o:t1", "FAIL")};
  ObjectsChanged first = loader.load(r);
  EXPECT_GT(first.sequence, 0u);
  EXPECT_EQ(first.checkouts, std::vector<std::string>{"o:c"});
  EXPECT_EQ(first.builds, (std::vector<std::string>{"o:b1", "o:b2", "o:b3"}));
  // New objects with a status changed; o:b3 has none.
  EXPECT_EQ(first.builds_status_changed, (std::vector<std::string>{"o:b1", "o:b2"}));
  EXPECT_EQ(first.tests_status_changed, std::vector<std::string>{"o:t1"});

  // The same again: nothing changed status.
  ObjectsChanged second = loader.load(r);
  EXPECT_GT(second.sequence, first.sequence);
  EXPECT_TRUE(second.builds_status_changed.empty());
  EXPECT_TRUE(second.tests_status_changed.empty());

  // A status changes; a missing status keeps the stored one.
  report::Report r3;
  r3.builds = {build("o:b1", "FAIL"), build("o:b2", nullptr), build("o:b3", "ERROR")};
  r3.tests = {test("o:t1", "FAIL")};
  ObjectsChanged third = loader.load(r3);
  EXPECT_EQ(third.builds_status_changed, (std::vector<std::string>{"o:b1", "o:b3"}));
  EXPECT_TRUE(third.tests_status_changed.empty());
  EXPECT_TRUE(third.checkouts.empty());

  // Published after each commit, as appended.
  ASSERT_EQ(published.size(), 3u);
  EXPECT_EQ(published[2].sequence, third.sequence);
  auto logged = log_->read_after(0, 10);
  ASSERT_EQ(logged.size(), 3u);
  EXPECT_EQ(logged[2].builds_status_changed, third.builds_status_changed);
  EXPECT_EQ(logged[0].tests_status_changed, first.tests_status_changed);

  // A load that fails stores nothing and announces nothing.
  store::LoadOptions failing;
  failing.after_write = [](store::SqlConnection&) { throw store::StoreError("disk full"); };
  report::Report r4;
  r4.builds = {build("o:b9", "PASS")};
  EXPECT_THROW(loader.load(r4, failing), store::StoreError);
  EXPECT_EQ(log_->read_after(third.sequence, 10).size(), 0u);
  EXPECT_EQ(published.size(), 3u);
  store::QueryIds b9;
  b9.builds = {"o:b9"};
  EXPECT_TRUE(store_->query(b9, {}).builds.empty());

  // An empty load announces nothing.
  EXPECT_EQ(loader.load(report::Report{}).sequence, 0u);
  EXPECT_EQ(published.size(), 3u);
}

INSTANTIATE_TEST_SUITE_P(Drivers, ChangeLogTest,
                         ::testing::Values(Driver::kSqlite, Driver::kPostgresql),
                         [](const auto& param_info) {
                           return param_info.param == Driver::kSqlite ? "SQLite" : "PostgreSQL";
                         });

TEST(Loader, WorksOnAMemoryDatabase) {
  auto store = store::open_store("sqlite::memory:");
  store->init();
  Loader loader(*store);
  report::Report r;
  r.builds = {build("o:b1", "PASS")};
  EXPECT_EQ(loader.load(r).builds_status_changed, std::vector<std::string>{"o:b1"});
}

}  // namespace
}  // namespace kci::ingest
