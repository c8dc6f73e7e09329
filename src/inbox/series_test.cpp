// SPDX-License-Identifier: LGPL-2.1-or-later
#include "inbox/series.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "inbox/test_archives.h"

namespace kci::inbox {
namespace {

using testing::fixture_messages;
using testing::parse_all;

std::string reason_of(const Assembly& a, const std::string& id) {
  for (const Skipped& s : a.skipped) {
    if (s.message_id == id) return s.reason;
  }
  return "";
}

TEST(InboxSubject, Tags) {
  Subject s = parse_subject("Re: [RFC PATCH net-next v3 2/7] net: fix foo");
  EXPECT_TRUE(s.reply);
  EXPECT_TRUE(s.patch);
  EXPECT_TRUE(s.rfc);
  EXPECT_EQ(s.revision, 3);
  EXPECT_EQ(s.part, 2);
  EXPECT_EQ(s.total, 7);
  EXPECT_EQ(s.prefixes, std::vector<std::string>{"net-next"});
  EXPECT_EQ(s.title, "net: fix foo");

  s = parse_subject("[PATCHv2 0/3] x");
  EXPECT_TRUE(s.patch);
  EXPECT_FALSE(s.reply);
  EXPECT_EQ(s.revision, 2);
  EXPECT_EQ(s.total, 3);
  EXPECT_EQ(s.part, 0);

  s = parse_subject("[RFC][PATCH bpf,v4 10/12] bpf: y");
  EXPECT_TRUE(s.rfc);
  EXPECT_EQ(s.revision, 4);
  EXPECT_EQ(s.part, 10);
  EXPECT_EQ(s.prefixes, std::vector<std::string>{"bpf"});

  EXPECT_TRUE(parse_subject("[GIT PULL] net fixes").pull);
  EXPECT_FALSE(parse_subject("[GIT PULL] net fixes").patch);
  EXPECT_FALSE(parse_subject("Plain subject").patch);
  EXPECT_TRUE(parse_subject("AW: RE: [PATCH] x").reply);
  EXPECT_EQ(parse_subject("[PATCH] x").total, 0);
}

TEST(InboxSeries, TrailersBaseCommitFiles) {
  EXPECT_EQ(find_trailers("> Acked-by: Q <q@x>\nReviewed-by: B <b@x>\nTested-by: no address\n"),
            std::vector<std::string>{"Reviewed-by: B <b@x>"});
  EXPECT_EQ(find_base_commit("x\nbase-commit: ABCDEF0123\n"), "abcdef0123");
  EXPECT_EQ(find_base_commit("base-commit: not-hex\n"), "");
  EXPECT_EQ(touched_files("diff --git a/x/y.c b/x/z.c\n--- a/x/y.c\n+++ b/x/z.c\n"),
            (std::vector<std::string>{"x/y.c", "x/z.c"}));
}

TEST(InboxSeries, AssemblesTheFixtures) {
  Assembly a = assemble(
      parse_all(fixture_messages({"series-v1.mbox", "series-v2.mbox", "replies.mbox",
                                  "does-not-apply.mbox", "missing-part.mbox", "unrelated.mbox"})));
  ASSERT_EQ(a.series.size(), 3u);

  // v2 of the tidy series replaces v1.
  const Series& tidy = a.series[0];
  EXPECT_EQ(tidy.id, "v2-cover@alice.example.org#v2");
  EXPECT_EQ(tidy.revision, 2);
  EXPECT_EQ(tidy.total, 3);
  EXPECT_TRUE(tidy.has_cover);
  EXPECT_TRUE(tidy.complete());
  EXPECT_EQ(tidy.message_id(), "v2-cover@alice.example.org");
  EXPECT_EQ(tidy.title, "net: tidy the core");
  EXPECT_EQ(tidy.prefixes, std::vector<std::string>{"net-next"});
  EXPECT_EQ(tidy.base_commit, "8714c550d713985dc7e1ee445e5dc699a4178995");
  ASSERT_EQ(tidy.patches().size(), 3u);
  EXPECT_EQ(tidy.patches()[2]->message_id, "v2-3@alice.example.org");
  EXPECT_EQ(tidy.files, (std::vector<std::string>{"drivers/foo.c", "net/core.c"}));
  EXPECT_EQ(tidy.contacts,
            (std::vector<std::string>{"alice@example.org", "bob@example.org",
                                      "net-maint@example.org", "netdev@vger.example.org"}));
  EXPECT_EQ(tidy.superseded, std::vector<std::string>{"v1-cover@alice.example.org#v1"});
  // Trailers from replies: Bob's on patch 1 (not the quoted Acked-by),
  // Carol's two on the cover letter; Dave's reply has none.
  std::vector<std::pair<int, std::string>> trailers{
      {1, "Reviewed-by: Bob Roe <bob@example.org>"},
      {0, "Acked-by: Carol Mueller <carol@example.org>"},
      {0, "Tested-by: Carol Mueller <carol@example.org>"}};
  EXPECT_EQ(tidy.trailers, trailers);
  ASSERT_EQ(a.superseded.size(), 1u);
  EXPECT_EQ(a.superseded[0].revision, 1);
  EXPECT_EQ(reason_of(a, "v1-2@alice.example.org"), "superseded");
  EXPECT_EQ(reason_of(a, "r3@dave.example.org"), "reply");

  // The lone patch: a series of one, complete, no cover.
  const Series& lone = a.series[1];
  EXPECT_EQ(lone.total, 1);
  EXPECT_FALSE(lone.has_cover);
  EXPECT_TRUE(lone.complete());
  EXPECT_EQ(lone.message_id(), "bad-1@erin.example.org");

  // The series missing part 2 waits.
  const Series& partial = a.series[2];
  EXPECT_EQ(partial.total, 2);
  EXPECT_FALSE(partial.complete());
  EXPECT_EQ(partial.missing, std::vector<int>{2});

  // What is not a patch.
  EXPECT_EQ(reason_of(a, "talk@grace.example.org"), "not a patch");
  EXPECT_EQ(reason_of(a, "pull@heidi.example.org"), "pull request");
  EXPECT_EQ(reason_of(a, "bot@bot.example.org"), "automated");
  EXPECT_EQ(reason_of(a, "talk-2@ivan.example.org"), "reply");
}

TEST(InboxSeries, PartsInAnyOrderAndWithoutCover) {
  std::vector<Message> all = parse_all(fixture_messages({"series-v1.mbox"}));
  // Drop the cover letter; patches 2 and 3 still name it in their thread,
  // so they are grouped by author, revision and size instead.
  std::vector<Message> messages{all[3], all[1], all[2]};
  Assembly a = assemble(messages);
  ASSERT_EQ(a.series.size(), 1u);
  EXPECT_TRUE(a.series[0].complete());
  EXPECT_FALSE(a.series[0].has_cover);
  ASSERT_EQ(a.series[0].patches().size(), 3u);
  EXPECT_EQ(a.series[0].patches()[0]->message_id, "v1-1@alice.example.org");
  EXPECT_EQ(a.series[0].message_id(), "v1-3@alice.example.org");
}

TEST(InboxSeries, WorthKeeping) {
  std::vector<Message> m = parse_all(fixture_messages({"replies.mbox", "unrelated.mbox"}));
  EXPECT_TRUE(worth_keeping(m[0]));   // Bob's Reviewed-by
  EXPECT_FALSE(worth_keeping(m[2]));  // Dave's question
  EXPECT_FALSE(worth_keeping(m[3]));  // a discussion
  EXPECT_FALSE(worth_keeping(m[4]));  // a pull request
}

}  // namespace
}  // namespace kci::inbox
