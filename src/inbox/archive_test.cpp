// SPDX-License-Identifier: LGPL-2.1-or-later
#include "inbox/archive.h"

#include <gtest/gtest.h>

#include "inbox/test_archives.h"

namespace kci::inbox {
namespace {

using testing::fixture_messages;
using testing::TempDir;

std::vector<std::string> ids_of(const std::vector<Message>& messages) {
  std::vector<std::string> out;
  for (const Message& m : messages) out.push_back(m.message_id);
  return out;
}

void check_reads(bool v2) {
  TempDir tmp;
  std::string dir = tmp.path() + "/list";
  ArchiveWriteOptions options;
  options.v2 = v2;
  options.messages_per_epoch = 3;  // v2: several epochs
  std::vector<std::string> first = fixture_messages({"series-v1.mbox", "unrelated.mbox"});
  append_to_archive(dir, first, options);

  Archive archive = Archive::open(dir);
  EXPECT_EQ(archive.format(), v2 ? Archive::Format::kV2 : Archive::Format::kV1);
  if (v2) {
    EXPECT_EQ(archive.epochs().size(), 3u);  // 8 messages, 3 per epoch
  }

  Cursor cursor;
  std::vector<Message> read;
  ReadStats stats = archive.read_new(cursor, [&](Message&& m) { read.push_back(std::move(m)); });
  EXPECT_EQ(stats.messages, 8u);
  EXPECT_EQ(stats.commits, 8u);
  ASSERT_EQ(read.size(), 8u);
  EXPECT_EQ(read[0].message_id, "v1-cover@alice.example.org");
  EXPECT_EQ(read[4].message_id, "talk@grace.example.org");
  EXPECT_EQ(read[7].message_id, "talk-2@ivan.example.org");
  EXPECT_EQ(read[1].subject, "[PATCH net-next 1/3] net: core: return 1");
  EXPECT_FALSE(read[1].blob.empty());
  // Byte for byte: the message as written, without the mbox From line.
  EXPECT_EQ(read[1].raw, first[1].substr(first[1].find('\n') + 1));

  // Nothing new: nothing read.
  read.clear();
  stats = archive.read_new(cursor, [&](Message&& m) { read.push_back(std::move(m)); });
  EXPECT_EQ(stats.commits, 0u);
  EXPECT_TRUE(read.empty());

  // New messages (and a removal): only they are read. The archive is
  // opened again, as a restarted watcher does (a new epoch may be there).
  append_to_archive(dir, fixture_messages({"series-v2.mbox"}), options);
  remove_from_archive(dir, {fixture_messages({"unrelated.mbox"})[0]}, options);
  Archive again = Archive::open(dir);
  read.clear();
  stats = again.read_new(cursor, [&](Message&& m) { read.push_back(std::move(m)); });
  EXPECT_EQ(stats.commits, 5u);
  EXPECT_EQ(stats.removed, 1u);
  EXPECT_EQ(ids_of(read),
            (std::vector<std::string>{"v2-cover@alice.example.org", "v2-1@alice.example.org",
                                      "v2-2@alice.example.org", "v2-3@alice.example.org"}));

  // Re-reading kept messages by blob id.
  std::vector<Message> blobs = again.read_blobs(read[2].epoch, {read[2].blob, read[1].blob});
  EXPECT_EQ(ids_of(blobs),
            (std::vector<std::string>{"v2-2@alice.example.org", "v2-1@alice.example.org"}));

  // A cursor the archive does not know (history rewritten) reads all again.
  Cursor stale{{0, std::string(40, 'a')}};
  for (const auto& e : again.epochs()) {
    if (e.number > 0) stale[e.number] = cursor[e.number];
  }
  stats = again.read_new(stale, [](Message&&) {});
  EXPECT_EQ(stats.rescanned_epochs, 1u);
  EXPECT_EQ(stats.messages, v2 ? 3u : 12u);
}

TEST(InboxArchive, ReadsV1) { check_reads(false); }
TEST(InboxArchive, ReadsV2WithEpochs) { check_reads(true); }

TEST(InboxArchive, RefusesWhatIsNotAnArchive) {
  TempDir tmp;
  EXPECT_THROW(Archive::open(tmp.path()), InvalidInputError);
}

}  // namespace
}  // namespace kci::inbox
