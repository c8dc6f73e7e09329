// SPDX-License-Identifier: LGPL-2.1-or-later
// The analysis following the change log: loads go through ingest::Loader
// (the one write path), the analysis catches up from its cursor, applies
// only the new events, and ends with the same tables as a rebuild.
#include "analysis/follow.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "analysis/generator.h"
#include "analysis/queries.h"
#include "ingest/loader.h"
#include "store/pg_test_cluster.h"

namespace kci::analysis {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/kci-follow-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string path() const { return path_; }

 private:
  std::string path_;
};

std::vector<report::Report> generated(int checkouts) {
  GenOptions o;
  o.checkouts = checkouts;
  o.paths = 6;
  Generator g(o);
  std::vector<report::Report> out;
  g.run([&](report::Report& r) { out.push_back(std::move(r)); });
  return out;
}

void follow_only_new_events(const std::string& spec) {
  auto reports = generated(8);
  ASSERT_GT(reports.size(), 4u);
  auto st = store::open_store(spec);
  st->init();
  auto sql = store::SqlConnection::open(store::parse_database_spec(spec));
  Analyzer analyzer(*st, *sql);
  ingest::ChangeLog log(*sql);
  ingest::Loader loader(*st);

  // Everything but the last report, then a first run: the consumer never
  // ran, so it rebuilds and sets its cursor to the newest event.
  for (std::size_t i = 0; i + 1 < reports.size(); ++i) loader.load(reports[i]);
  FollowStats first = catch_up(analyzer, log);
  EXPECT_TRUE(first.rebuilt);
  EXPECT_EQ(first.to, log.last_sequence());
  EXPECT_EQ(log.cursor(kAnalysisConsumer), log.last_sequence());

  // Nothing new: nothing done.
  FollowStats idle = catch_up(analyzer, log);
  EXPECT_FALSE(idle.rebuilt);
  EXPECT_EQ(idle.events, 0u);
  EXPECT_EQ(idle.update.results, 0u);

  // A new load: the second run applies that one event only, touching
  // only its results (not every stored result).
  std::size_t new_results = reports.back().builds.size() + reports.back().tests.size();
  ingest::ObjectsChanged ev = loader.load(reports.back());
  FollowStats second = catch_up(analyzer, log);
  EXPECT_FALSE(second.rebuilt);
  EXPECT_EQ(second.events, 1u);
  EXPECT_EQ(second.from, first.to);
  EXPECT_EQ(second.to, ev.sequence);
  EXPECT_EQ(second.update.results, new_results);
  EXPECT_EQ(second.update.checkouts, 1u);
  EXPECT_LT(second.update.results, first.update.results / 4);

  std::string incremental = dump_tables(*sql);
  rebuild_and_mark(analyzer, log);
  EXPECT_EQ(log.cursor(kAnalysisConsumer), ev.sequence);
  EXPECT_GT(incremental.size(), 1000u);
  EXPECT_TRUE(incremental == dump_tables(*sql)) << "catch-up and rebuild tables differ";
}

TEST(FollowSqlite, SecondRunAppliesOnlyTheNewEventAndEqualsRebuild) {
  TempDir dir;
  follow_only_new_events("sqlite:" + dir.path() + "/kci.db");
}

TEST(FollowPostgresql, SecondRunAppliesOnlyTheNewEventAndEqualsRebuild) {
  auto* cluster = store::testing::PgTestCluster::get();
  if (!cluster) {
    if (std::getenv("CI") && std::string(std::getenv("CI")) == "true")
      FAIL() << "PostgreSQL is required under CI=true: "
             << store::testing::PgTestCluster::skip_reason();
    GTEST_SKIP() << store::testing::PgTestCluster::skip_reason();
  }
  follow_only_new_events(cluster->create_database());
}

// Events applied in several batches, one of them replayed (a crash before
// the cursor moved): the same tables as a rebuild.
TEST(FollowSqlite, BatchesAndAReplayEqualRebuild) {
  TempDir dir;
  std::string spec = "sqlite:" + dir.path() + "/kci.db";
  auto reports = generated(6);
  auto st = store::open_store(spec);
  st->init();
  auto sql = store::SqlConnection::open(store::parse_database_spec(spec));
  Analyzer analyzer(*st, *sql);
  ingest::ChangeLog log(*sql);
  ingest::Loader loader(*st);
  catch_up(analyzer, log);  // the empty start: a rebuild of nothing, cursor 0
  EXPECT_EQ(log.cursor(kAnalysisConsumer), 0u);
  std::vector<ingest::ObjectsChanged> events;
  for (auto& r : reports) events.push_back(loader.load(r));
  FollowStats s = catch_up(analyzer, log, kAnalysisConsumer, 0, 3);
  EXPECT_FALSE(s.rebuilt);
  EXPECT_EQ(s.events, reports.size());
  // A replay of events already applied changes nothing.
  analyzer.update(merge_events({events[1], events[2]}));
  std::string incremental = dump_tables(*sql);
  analyzer.rebuild();
  EXPECT_TRUE(incremental == dump_tables(*sql)) << "catch-up and rebuild tables differ";
}

TEST(Follow, MergeEventsUnitesSortedIds) {
  ingest::ObjectsChanged a, b;
  a.sequence = 3;
  a.tests = {"o:t2", "o:t1"};
  a.checkouts = {"o:c1"};
  b.sequence = 5;
  b.tests = {"o:t1", "o:t3"};
  b.issues = {{"o:i", 1}};
  auto m = merge_events({a, b});
  EXPECT_EQ(m.sequence, 5u);
  EXPECT_EQ(m.tests, (std::vector<std::string>{"o:t1", "o:t2", "o:t3"}));
  EXPECT_EQ(m.checkouts, (std::vector<std::string>{"o:c1"}));
  ASSERT_EQ(m.issues.size(), 1u);
}

}  // namespace
}  // namespace kci::analysis
