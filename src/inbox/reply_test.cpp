// SPDX-License-Identifier: LGPL-2.1-or-later
// Replies to series threads: golden mails (src/inbox/testdata/reply-*.eml;
// regenerate with KCI_UPDATE_GOLDEN=1 build/src/inbox/inbox_test
// --gtest_filter='InboxReply*' and review the diff), and the queue: each
// series answered once, threaded to its message_id.
#include "inbox/reply.h"

#include <gtest/gtest.h>

#include "inbox/submit.h"
#include "inbox/test_archives.h"
#include "inbox/watcher.h"
#include "ingest/loader.h"
#include "notify/message.h"
#include "pipeline/config/yaml_util.h"
#include "store/store.h"
#include "util/test_support.h"

namespace kci::inbox {
namespace {

using testing::fixture_messages;
using testing::TempDir;

constexpr std::int64_t kNow = 1796299200;  // 2026-12-03T12:00:00Z

std::string mail_of(const PatchsetReply& reply) {
  notify::MailContext c;
  c.subscription = "inbox-" + reply.list;
  c.from = {"kci", "bot@kci.example.org"};
  for (const std::string& a : reply.contacts) c.to.push_back({"", a});
  c.domain = "kci.example.org";
  c.date = kNow;
  c.in_reply_to = notify::bracket_message_id(reply.message_id);
  return notify::render_message(notify::compose_mail(render_reply(reply), c));
}

std::string golden(const std::string& name) { return testing::testdata(name); }

class ReplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spec_ = store::parse_database_spec("sqlite:" + tmp_.path() + "/kci.db");
    store_ = store::open_store(spec_);
    store_->init(true);
    repo_ = tmp_.path() + "/net-next";
    testing::make_base_repo(repo_);
    archive_ = tmp_.path() + "/netdev";
    config_.add_document(pipeline::load_yaml_string(R"(
trees:
  net-next: {url: 'file://)" + repo_ + R"('}
lists:
  netdev:
    archive: ')" + archive_ + R"('
    targets: [{tree: net-next, branch: main}]
)",
                                                    "t.yaml"),
                         "t.yaml");
    config_.finish();
    append_to_archive(archive_,
                      fixture_messages({"series-v2.mbox", "replies.mbox", "does-not-apply.mbox"}));
    sql_ = store::SqlConnection::open(spec_);
    InboxState::migrate(*sql_);
    state_ = std::make_unique<InboxState>(*sql_);
    ingest::Loader loader(*store_);
    PollOptions o;
    o.state_dir = tmp_.path() + "/state";
    o.now = kNow;
    poll_list(config_.lists().at("netdev"), config_, *state_, o, [&](const HandledSeries& h) {
      if (h.checkout) load_checkout(loader, *h.checkout);
    });
  }

  SeriesRecord record(const std::string& status) {
    for (const SeriesRecord& s : state_->all_series()) {
      if (s.status == status) return s;
    }
    ADD_FAILURE() << "no series " << status;
    return {};
  }

  TempDir tmp_;
  store::DatabaseSpec spec_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::SqlConnection> sql_;
  std::unique_ptr<InboxState> state_;
  std::string repo_, archive_;
  pipeline::PipelineConfig config_;
};

TEST_F(ReplyTest, InboxReplyGoldenMails) {
  // A series that does not apply: git am's error, quoted.
  PatchsetReply refused = reply_data(*sql_, record("does not apply"));
  EXPECT_FALSE(refused.applied);
  EXPECT_EQ(refused.patch_count, 1);
  EXPECT_NE(refused.am_error.find("git am failed"), std::string::npos);
  // The temporary paths git am names differ per run.
  refused.am_error =
      "git am failed:\nerror: patch failed: drivers/foo.c:1\n"
      "error: drivers/foo.c: patch does not apply\n";
  EXPECT_TRUE(::kci::testing::check_golden(golden("reply-does-not-apply.eml"), mail_of(refused)));

  // A series that applied, with results and regressions against the base.
  PatchsetReply tested = reply_data(*sql_, record("tested"));
  EXPECT_TRUE(tested.applied);
  EXPECT_EQ(tested.patch_count, 3);
  EXPECT_EQ(tested.revision, "2");
  EXPECT_EQ(tested.message_id, "v2-cover@alice.example.org");
  EXPECT_TRUE(tested.counts.empty());  // nothing built yet
  tested.checkout_id = "kci:8714c550d713985dc7e1ee445e5dc699a4178995+patchsethash";
  tested.counts = {{"build", {{"PASS", 3}, {"FAIL", 1}}},
                   {"boot", {{"PASS", 2}}},
                   {"test", {{"PASS", 40}, {"FAIL", 2}}}};
  tested.base_checkout_id = "kci:net-next:main:8714c550d713985dc7e1ee445e5dc699a4178995";
  tested.regressions = {{"build arm64 defconfig (gcc-12)", "PASS", "FAIL"},
                        {"test kselftest.net.tcp on qemu-x86 (x86_64, defconfig)", "PASS", "FAIL"}};
  tested.new_failures = {
      {"test kselftest.net.udp on qemu-x86 (x86_64, defconfig)", "none", "FAIL"}};
  EXPECT_TRUE(::kci::testing::check_golden(golden("reply-regressions.eml"), mail_of(tested)));
  tested.regressions.clear();
  tested.new_failures.clear();
  EXPECT_TRUE(::kci::testing::check_golden(golden("reply-clean.eml"), mail_of(tested)));
}

TEST_F(ReplyTest, EachSeriesIsAnsweredOnceInItsThread) {
  notify::Outbox outbox(*sql_);
  ReplyOptions options;
  options.from = {"kci", "bot@kci.example.org"};
  options.domain = "kci.example.org";
  options.date = kNow;
  // The applied series waits for results; the refused one is answered.
  ReplyResult first = queue_replies(*sql_, *state_, outbox, options);
  EXPECT_EQ(first.queued, 1);
  EXPECT_EQ(first.waiting, 1);
  options.require_results = false;
  ReplyResult second = queue_replies(*sql_, *state_, outbox, options);
  EXPECT_EQ(second.queued, 1);
  ReplyResult third = queue_replies(*sql_, *state_, outbox, options);
  EXPECT_EQ(third.queued, 0);
  std::vector<std::string> mails = outbox.due_messages(kNow + 1);
  ASSERT_EQ(mails.size(), 2u);
  bool threaded = false;
  for (const std::string& m : mails) {
    if (m.find("In-Reply-To: <v2-cover@alice.example.org>\r\n") != std::string::npos &&
        m.find("References: <v2-cover@alice.example.org>\r\n") != std::string::npos &&
        m.find("Subject: Re: [PATCH net-next v2 0/3] net: tidy the core\r\n") !=
            std::string::npos) {
      threaded = true;
    }
  }
  EXPECT_TRUE(threaded) << mails[0] << mails[1];
  for (const SeriesRecord& s : state_->all_series()) {
    if (s.status == "tested" || s.status == "does not apply") {
      EXPECT_TRUE(s.replied) << s.series_id;
    }
  }
}

}  // namespace
}  // namespace kci::inbox
