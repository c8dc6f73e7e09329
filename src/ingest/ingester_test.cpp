// SPDX-License-Identifier: LGPL-2.1-or-later
// The ingester from spool to store: one change event per committed batch.
#include "ingest/ingester.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>

#include "ingest/change_log.h"
#include "store/store.h"

namespace kci::ingest {
namespace {

namespace fs = std::filesystem;

std::string submission(const std::string& build, const std::string& status,
                       const std::string& test_status) {
  return R"({"version":{"major":5,"minor":3},"checkouts":[{"id":"o:c","origin":"o"}],)"
         R"("builds":[{"id":")" +
         build + R"(","origin":"o","checkout_id":"o:c","status":")" + status +
         R"("}],"tests":[{"id":")" + build + R"(-t","origin":"o","build_id":")" + build +
         R"(","status":")" + test_status + R"("}]})";
}

class IngesterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kci-ingester-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    spec_ = store::parse_database_spec("sqlite:" + dir_ + "/test.db");
    store::open_store(spec_)->init();
    spool_ = std::make_unique<Spool>(dir_ + "/spool");
    bus_.subscribe([this](const ObjectsChanged& e) {
      std::lock_guard lock(mutex_);
      events_.push_back(e);
    });
  }
  void TearDown() override {
    spool_.reset();
    fs::remove_all(dir_);
  }

  void submit(Ingester& ingester, const std::string& id, const std::string& body) {
    spool_->write(id, body);
    metrics_.spool_depth.fetch_add(1);
    ingester.enqueue(id, std::chrono::system_clock::now());
  }

  std::string dir_;
  store::DatabaseSpec spec_;
  std::unique_ptr<Spool> spool_;
  Metrics metrics_;
  ChangeBus bus_;
  std::mutex mutex_;
  std::vector<ObjectsChanged> events_;
};

TEST_F(IngesterTest, OneEventPerCommittedBatchWithStatusChanges) {
  Ingester ingester(*spool_, spec_, metrics_, IngestOptions{}, &bus_);
  // Queued before the worker starts: loaded as one batch.
  submit(ingester, "aaaa", submission("o:b1", "PASS", "PASS"));
  submit(ingester, "bbbb", submission("o:b2", "FAIL", "PASS"));
  submit(ingester, "cccc", submission("o:b3", "PASS", "FAIL"));
  ingester.start();
  ingester.wait_idle();
  {
    std::lock_guard lock(mutex_);
    ASSERT_EQ(events_.size(), 1u);
    const ObjectsChanged& e = events_[0];
    EXPECT_GT(e.sequence, 0u);
    EXPECT_EQ(e.checkouts, std::vector<std::string>{"o:c"});
    EXPECT_EQ(e.builds, (std::vector<std::string>{"o:b1", "o:b2", "o:b3"}));
    EXPECT_EQ(e.builds_status_changed, e.builds);
    EXPECT_EQ(e.tests_status_changed, (std::vector<std::string>{"o:b1-t", "o:b2-t", "o:b3-t"}));
  }
  EXPECT_EQ(spool_->state("aaaa"), SubmissionState::kProcessed);

  // One build changes status, one stays; a bad submission announces nothing.
  submit(ingester, "dddd", submission("o:b1", "FAIL", "PASS"));
  ingester.wait_idle();
  submit(ingester, "eeee", "{\"version\":{\"major\":5,\"minor\":3},\"builds\":[{\"id\":1}]}");
  ingester.wait_idle();
  submit(ingester, "ffff", submission("o:b2", "FAIL", "PASS"));
  ingester.wait_idle();
  ingester.stop();
  EXPECT_EQ(spool_->state("eeee"), SubmissionState::kFailed);

  std::lock_guard lock(mutex_);
  ASSERT_EQ(events_.size(), 3u);
  EXPECT_EQ(events_[1].builds_status_changed, std::vector<std::string>{"o:b1"});
  EXPECT_TRUE(events_[1].tests_status_changed.empty());
  EXPECT_TRUE(events_[2].builds_status_changed.empty());
  EXPECT_GT(events_[2].sequence, events_[1].sequence);

  // The durable log holds the same events.
  auto sql = store::SqlConnection::open(spec_);
  ChangeLog log(*sql, false);
  auto logged = log.read_after(0, 10);
  ASSERT_EQ(logged.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(logged[i].sequence, events_[i].sequence);
    EXPECT_EQ(logged[i].builds, events_[i].builds);
    EXPECT_EQ(logged[i].builds_status_changed, events_[i].builds_status_changed);
  }
}

}  // namespace
}  // namespace kci::ingest
