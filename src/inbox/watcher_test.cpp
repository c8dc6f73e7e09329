// SPDX-License-Identifier: LGPL-2.1-or-later
// The watcher on archives made here from the fixture mboxes (v1 and v2),
// with its state in SQLite and in a throw-away PostgreSQL cluster.
#include "inbox/watcher.h"

#include <gtest/gtest.h>

#include <map>

#include "inbox/test_archives.h"
#include "pipeline/config/yaml_util.h"
#include "store/pg_test_cluster.h"
#include "store/store.h"
#include "util/sha256.h"
#include "util/test_support.h"

namespace kci::inbox {
namespace {

using testing::fixture_messages;
using testing::TempDir;

constexpr const char* kBase = "8714c550d713985dc7e1ee445e5dc699a4178995";
// 2026-12-03T12:00:00Z: three hours after the incomplete series was sent.
constexpr std::int64_t kNow = 1796299200;

struct Param {
  store::Driver driver;
  bool v2;
};

class WatcherTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    if (GetParam().driver == store::Driver::kSqlite) {
      spec_ = "sqlite:" + tmp_.path() + "/kci.db";
    } else {
      auto* pg = store::testing::PgTestCluster::get();
      if (!pg)
        KCI_MISSING_REAL_PART("PostgreSQL: " << store::testing::PgTestCluster::skip_reason());
      spec_ = pg->create_database();
    }
    store::open_store(store::parse_database_spec(spec_))->init(true);
    repo_ = tmp_.path() + "/net-next";
    ASSERT_EQ(testing::make_base_repo(repo_), kBase);
    archive_ = tmp_.path() + "/netdev";
    write_options_.v2 = GetParam().v2;
    config_.add_document(pipeline::load_yaml_string(R"(
trees:
  net-next: {url: 'file://)" + repo_ + R"('}
  other: {url: 'https://git.example.org/other.git'}
lists:
  netdev:
    archive: ')" + archive_ + R"('
    frequency: 1h
    timeout: 6h
    targets:
      - {tree: net-next, branch: main, prefixes: [net-next]}
      - {tree: net-next, branch: main, files: [net/, drivers/]}
)",
                                                    "t.yaml"),
                         "t.yaml");
    config_.finish();
    options_.state_dir = tmp_.path() + "/state";
    options_.origin = "kci_inbox";
  }

  // One poll with a new connection each time, as a restarted watcher.
  PollResult poll(std::int64_t now, bool force = false,
                  std::vector<HandledSeries>* seen = nullptr) {
    auto sql = store::SqlConnection::open(store::parse_database_spec(spec_));
    InboxState::migrate(*sql);
    InboxState state(*sql);
    PollOptions o = options_;
    o.now = now;
    o.force = force;
    return poll_list(config_.lists().at("netdev"), config_, state, o, [&](const HandledSeries& h) {
      if (seen) seen->push_back(h);
    });
  }

  std::map<std::string, const HandledSeries*> by_status(const PollResult& r) {
    std::map<std::string, const HandledSeries*> out;
    for (const HandledSeries& h : r.handled) out[h.record.status] = &h;
    return out;
  }

  TempDir tmp_;
  std::string spec_, repo_, archive_;
  ArchiveWriteOptions write_options_;
  pipeline::PipelineConfig config_;
  PollOptions options_;
};

TEST_P(WatcherTest, FindsAppliesRefusesAndNeverReportsTwice) {
  append_to_archive(
      archive_,
      fixture_messages({"series-v1.mbox", "series-v2.mbox", "replies.mbox", "does-not-apply.mbox",
                        "missing-part.mbox", "unrelated.mbox"}),
      write_options_);
  PollResult first = poll(kNow);
  EXPECT_TRUE(first.polled);
  EXPECT_EQ(first.read.messages, 18u);
  EXPECT_EQ(first.waiting, 1u);  // the series missing its part 2
  ASSERT_EQ(first.handled.size(), 3u);
  auto status = by_status(first);

  // v1 is superseded by v2, which applies on its base-commit.
  ASSERT_TRUE(status.count("superseded"));
  EXPECT_EQ(status["superseded"]->record.series_id, "v1-cover@alice.example.org#v1");
  EXPECT_FALSE(status["superseded"]->checkout);
  ASSERT_TRUE(status.count("tested"));
  const HandledSeries& tidy = *status["tested"];
  ASSERT_TRUE(tidy.checkout);
  const report::Checkout& c = *tidy.checkout;
  EXPECT_EQ(c.valid, true);
  EXPECT_EQ(c.git_commit_hash, kBase);
  EXPECT_EQ(c.tree_name, "net-next");
  EXPECT_EQ(c.git_repository_branch, "main");
  EXPECT_EQ(c.message_id, "v2-cover@alice.example.org");
  EXPECT_EQ(pipeline::patchset_files(c).size(), 3u);
  // KCIDB's patchset_hash: SHA-256 of the newline-terminated SHA-256s of
  // the patches as archived (after an mbox From line).
  std::string hashes;
  for (const Message* m : tidy.series.patches()) {
    hashes += sha256_hex("From mboxrd@z Thu Jan  1 00:00:00 1970\n" + m->raw) + "\n";
  }
  EXPECT_EQ(c.patchset_hash, sha256_hex(hashes));
  EXPECT_EQ(c.id, "kci_inbox:" + std::string(kBase) + "+" + sha256_hex(hashes));
  EXPECT_EQ(tidy.record.checkout_id, c.id);
  std::map<std::string, std::string> misc;
  for (const char* key : {"base_from", "trailers", "patched_commit"}) {
    misc[key] = pipeline::misc_string(c, key);
  }
  EXPECT_EQ(pipeline::contacts(c),
            (std::vector<std::string>{"alice@example.org", "bob@example.org",
                                      "net-maint@example.org", "netdev@vger.example.org"}));
  EXPECT_EQ(misc["base_from"], "base-commit");
  EXPECT_NE(misc["trailers"].find("1: Reviewed-by: Bob Roe <bob@example.org>"), std::string::npos);
  EXPECT_NE(misc["trailers"].find("all: Acked-by: Carol Mueller"), std::string::npos);
  EXPECT_FALSE(misc["patched_commit"].empty());

  // The lone patch does not apply: valid false, git am's error kept.
  ASSERT_TRUE(status.count("does not apply"));
  const HandledSeries& bad = *status["does not apply"];
  ASSERT_TRUE(bad.checkout);
  EXPECT_EQ(bad.checkout->valid, false);
  EXPECT_NE(bad.checkout->log_excerpt.value_or("").find("git am failed"), std::string::npos)
      << bad.checkout->log_excerpt.value_or("");
  EXPECT_EQ(bad.checkout->message_id, "bad-1@erin.example.org");
  EXPECT_EQ(bad.checkout->git_commit_hash, kBase);  // the head of main: its base

  // Not due yet (frequency 1h): nothing is read.
  PollResult early = poll(kNow + 60);
  EXPECT_FALSE(early.polled);
  // Forced, with nothing new: no commit read, nothing handled twice.
  PollResult again = poll(kNow + 60, true);
  EXPECT_EQ(again.read.commits, 0u);
  EXPECT_TRUE(again.handled.empty());
  EXPECT_EQ(again.waiting, 1u);

  // The missing part arrives: only the new commit is read, and the waiting
  // parts come from the database (a restarted watcher).
  append_to_archive(archive_, fixture_messages({"missing-part-late.mbox"}), write_options_);
  PollResult late = poll(kNow + 2 * 3600);
  EXPECT_EQ(late.read.commits, 1u);
  ASSERT_EQ(late.handled.size(), 1u);
  EXPECT_EQ(late.handled[0].record.status, "tested");
  EXPECT_EQ(late.handled[0].record.message_id, "m-cover@frank.example.org");
  EXPECT_EQ(late.waiting, 0u);

  // Every series recorded once.
  {
    auto sql = store::SqlConnection::open(store::parse_database_spec(spec_));
    InboxState state(*sql);
    std::vector<SeriesRecord> all = state.all_series("netdev");
    EXPECT_EQ(all.size(), 4u);
    // The cursor lost (history rewritten, or a new archive path): the
    // archive is read again from the start, and still no series is reported
    // twice.
    sql->exec("DELETE FROM inbox_cursors");
  }
  PollResult reread = poll(kNow + 4 * 3600);
  EXPECT_EQ(reread.read.messages, 19u);
  EXPECT_TRUE(reread.handled.empty());
}

TEST_P(WatcherTest, AnIncompleteSeriesGivesUpAfterTheTimeout) {
  append_to_archive(archive_, fixture_messages({"missing-part.mbox", "unrelated.mbox"}),
                    write_options_);
  EXPECT_EQ(poll(kNow).waiting, 1u);
  // Seven hours after the series was sent (timeout 6h).
  PollResult later = poll(kNow + 4 * 3600);
  ASSERT_EQ(later.handled.size(), 1u);
  EXPECT_EQ(later.handled[0].record.status, "incomplete");
  EXPECT_EQ(later.handled[0].series.missing, std::vector<int>{2});
  EXPECT_EQ(later.waiting, 0u);
  // The late part alone is a series of its own that will never complete.
  append_to_archive(archive_, fixture_messages({"missing-part-late.mbox"}), write_options_);
  PollResult last = poll(kNow + 6 * 3600);
  EXPECT_EQ(last.waiting, 1u);
  EXPECT_TRUE(last.handled.empty());
}

TEST(InboxScan, ListsTheSeriesOfAWholeArchive) {
  TempDir tmp;
  append_to_archive(tmp.path() + "/a",
                    fixture_messages({"series-v1.mbox", "series-v2.mbox", "unrelated.mbox"}));
  ScanResult r = scan_archive(tmp.path() + "/a");
  EXPECT_EQ(r.read.messages, 12u);
  ASSERT_EQ(r.assembly.series.size(), 1u);
  EXPECT_EQ(r.assembly.series[0].revision, 2);
  EXPECT_EQ(r.assembly.superseded.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Drivers, WatcherTest,
    ::testing::Values(Param{store::Driver::kSqlite, true}, Param{store::Driver::kSqlite, false},
                      Param{store::Driver::kPostgresql, true}),
    [](const ::testing::TestParamInfo<Param>& p) {
      return std::string(p.param.driver == store::Driver::kSqlite ? "SQLite" : "PostgreSQL") +
             (p.param.v2 ? "V2" : "V1");
    });

}  // namespace
}  // namespace kci::inbox
