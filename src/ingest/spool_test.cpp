// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "ingest/metrics.h"
#include "ingest/spool.h"
#include "util/file.h"

namespace kci::ingest {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  fs::path dir = fs::path(KCI_BINARY_DIR) / "ingest_test" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(Spool, WalksASubmissionThroughItsStates) {
  Spool spool(fresh_dir("spool"));
  std::string id = new_submission_id();
  EXPECT_EQ(id.size(), 32u);
  EXPECT_TRUE(valid_submission_id(id));
  EXPECT_EQ(spool.state(id), SubmissionState::kNotFound);
  spool.write(id, "{}");
  EXPECT_EQ(spool.state(id), SubmissionState::kReady);
  EXPECT_EQ(spool.read(id), "{}");
  spool.archive(id);
  EXPECT_EQ(spool.state(id), SubmissionState::kProcessed);

  std::string bad = new_submission_id();
  spool.write(bad, "[]");
  spool.fail(bad, "not a report");
  std::string reason;
  EXPECT_EQ(spool.state(bad, &reason), SubmissionState::kFailed);
  EXPECT_EQ(reason, "not a report");
  EXPECT_STREQ(state_name(SubmissionState::kInProgress), "inprogress");
}

TEST(Spool, RecoverDropsUnfinishedWritesAndKeepsReadyOnes) {
  fs::path dir = fresh_dir("recover");
  {
    Spool spool(dir);
    spool.write("aaaa", "1");
    spool.write("bbbb", "2");
  }
  write_file_atomic((dir / "submission-cccc.json.temp").string(), "partial");
  Spool spool(dir);
  EXPECT_EQ(spool.state("cccc"), SubmissionState::kInProgress);
  auto ready = spool.recover();
  ASSERT_EQ(ready.size(), 2u);
  EXPECT_EQ(spool.state("cccc"), SubmissionState::kNotFound);
}

TEST(Spool, RecoverRewritesAcknowledgedSubmissionsFromTheJournal) {
  fs::path dir = fresh_dir("journal");
  {
    Spool spool(dir);
    spool.write("aaaa", "first");
    spool.write("bbbb", "second");
    spool.archive("aaaa");
  }
  // A crash lost the ready file's data (it is written without fsync).
  fs::remove(dir / "submission-bbbb.json");
  write_file_atomic((dir / "submission-cccc.json").string(), "no journal record");
  Spool spool(dir);
  auto ready = spool.recover();
  ASSERT_EQ(ready.size(), 2u);
  EXPECT_EQ(spool.read("bbbb"), "second");
  EXPECT_EQ(spool.state("aaaa"), SubmissionState::kProcessed);
  // Once everything in it is stored, the old segment goes.
  spool.archive("bbbb");
  spool.archive("cccc");
  spool.write("dddd", "next");
  std::size_t segments = 0;
  for (const auto& e : fs::directory_iterator(dir / "journal")) segments += e.is_regular_file();
  EXPECT_EQ(segments, 1u);
}

// A full disk (ENOSPC: /dev/full stands in for the journal segment, then
// for the ready file): the write throws SpoolFullError naming the cause,
// nothing of the submission is left to be loaded, and the next write, with
// space again, is stored and survives a restart.
TEST(Spool, AFullDiskRefusesTheWriteWithSpoolFullErrorAndRecovers) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  fs::path dir = fresh_dir("full");
  {
    Spool spool(dir);
    fs::create_symlink("/dev/full", dir / "journal" / "segment-000000000001.log");
    try {
      spool.write("aaaa", "refused");
      FAIL() << "a write to a full disk was acknowledged";
    } catch (const SpoolFullError& e) {
      EXPECT_NE(std::string(e.what()).find("No space left on device"), std::string::npos)
          << e.what();
    }
    EXPECT_EQ(spool.state("aaaa"), SubmissionState::kNotFound);
    // The journal goes on in a new segment.
    spool.write("bbbb", "stored");
    EXPECT_EQ(spool.state("bbbb"), SubmissionState::kReady);

    // The journal record is written, the ready file is not.
    fs::create_symlink("/dev/full", dir / "submission-cccc.json.temp");
    EXPECT_THROW(spool.write("cccc", "no ready file"), SpoolFullError);
    EXPECT_FALSE(fs::exists(fs::symlink_status(dir / "submission-cccc.json.temp")));
    EXPECT_EQ(spool.state("cccc"), SubmissionState::kNotFound);
  }
  fs::remove(dir / "journal" / "segment-000000000001.log");
  Spool spool(dir);
  std::vector<std::string> ready;
  for (const auto& r : spool.recover()) ready.push_back(r.id);
  // cccc's journal record is durable, so a restart loads it although it
  // was refused (at least once: a client's retry merges with it).
  std::sort(ready.begin(), ready.end());
  EXPECT_EQ(ready, (std::vector<std::string>{"bbbb", "cccc"}));
  EXPECT_EQ(spool.read("bbbb"), "stored");
}

TEST(SubmissionId, RefusesWhatIsNotAlphanumeric) {
  EXPECT_FALSE(valid_submission_id(""));
  EXPECT_FALSE(valid_submission_id("../etc"));
  EXPECT_FALSE(valid_submission_id(std::string(65, 'a')));
  EXPECT_TRUE(valid_submission_id("Ab09"));
}

}  // namespace
}  // namespace kci::ingest
