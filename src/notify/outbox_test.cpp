// SPDX-License-Identifier: LGPL-2.1-or-later
// The outbox on both store drivers, delivering to a real SMTP server on
// loopback (python3-aiosmtpd), including a kill -9 in the middle of
// delivery.
#include "notify/outbox.h"
#include "notify/notifier.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>

#include "notify/bisection.h"
#include "notify/report_json.h"
#include "notify/smtp_sink.h"
#include "notify/test_fixture.h"
#include "store/pg_test_cluster.h"
#include "store/store.h"
#include "util/file.h"

namespace kci::notify {
namespace {

namespace fs = std::filesystem;

using testing::smtp_sink_script;

RenderedReport report(const std::string& object, const std::string& text) {
  RenderedReport r;
  r.kind = ReportKind::kTest;
  r.subject_object = object;
  r.subject = "report on " + object;
  r.body = text + "\n";
  return r;
}

MailContext context(long long date = 1796587200) {
  MailContext c;
  c.subscription = "sub";
  c.from = {"kci", "bot@kci.example.org"};
  c.to = {{"", "list@example.org"}};
  c.domain = "kci.example.org";
  c.date = date;
  return c;
}

std::string header(const std::string& mail, const std::string& name) {
  std::string key = "\r\n" + name + ": ";
  std::size_t p = ("\r\n" + mail).find(key);
  if (p == std::string::npos) return "";
  std::size_t start = p + key.size() - 2;
  std::string value;
  std::size_t end = mail.find("\r\n", start);
  value = mail.substr(start, end - start);
  while (end + 2 < mail.size() && mail[end + 2] == ' ') {  // unfold
    std::size_t next = mail.find("\r\n", end + 2);
    value += mail.substr(end + 2, next - end - 2);
    end = next;
  }
  return value;
}

class OutboxTest : public testing::DatabaseFixture<::testing::TestWithParam<store::Driver>> {
 protected:
  void SetUp() override { open_database("outbox", GetParam()); }
};

TEST_P(OutboxTest, SameContentOnceAndUpdatesThreaded) {
  Outbox box(*db_->sql);
  MailContext c = context();
  c.in_reply_to = "<patch-1@lore.example.org>";  // a patchset checkout's message_id
  QueueResult first = box.queue(report("checkout:1:test:baseline", "one regression"), c);
  EXPECT_TRUE(first.queued);
  EXPECT_FALSE(first.update);
  QueueResult again = box.queue(report("checkout:1:test:baseline", "one regression"), c);
  EXPECT_FALSE(again.queued);
  EXPECT_EQ(again.message_id, first.message_id);
  QueueResult update = box.queue(report("checkout:1:test:baseline", "two regressions"), c);
  EXPECT_TRUE(update.queued);
  EXPECT_TRUE(update.update);
  EXPECT_NE(update.message_id, first.message_id);
  QueueResult other = box.queue(report("checkout:2:test:baseline", "one regression"), c);
  EXPECT_FALSE(other.update);
  EXPECT_EQ(box.count("queued"), 3);

  fs::path md = dir_ / "maildir";
  auto transport = maildir_transport(md.string());
  DeliveryStats s = box.deliver(*transport, 1796587200);
  EXPECT_EQ(s.sent, 3);
  EXPECT_EQ(box.count("sent"), 3);
  std::map<std::string, std::string> by_id;
  for (const auto& e : fs::directory_iterator(md / "new")) {
    std::string m = read_file(e.path().string());
    by_id[header(m, "Message-ID")] = m;
  }
  ASSERT_EQ(by_id.size(), 3u);
  EXPECT_EQ(header(by_id[first.message_id], "In-Reply-To"), "<patch-1@lore.example.org>");
  EXPECT_EQ(header(by_id[update.message_id], "In-Reply-To"), first.message_id);
  EXPECT_EQ(header(by_id[update.message_id], "References"),
            "<patch-1@lore.example.org> " + first.message_id);
  // Nothing is due any more.
  EXPECT_EQ(box.deliver(*transport, 1796587200 + 86400).sent, 0);
}

TEST_P(OutboxTest, RetriesWithBackoffThenGivesUp) {
  KCI_REQUIRE_AIOSMTPD();
  testing::SmtpSink sink(smtp_sink_script(), dir_ / "smtp");
  SmtpOptions o;
  o.url = sink.url();
  auto smtp = smtp_transport(o);
  Outbox box(*db_->sql);
  MailContext temp = context();
  temp.to = {{"", "tempfail@example.org"}};
  box.queue(report("checkout:1:build", "a"), temp);
  MailContext rejected = context();
  rejected.subscription = "other";
  rejected.to = {{"", "reject@example.org"}};
  box.queue(report("checkout:1:build", "a"), rejected);
  box.queue(report("checkout:2:build", "b"), context());
  RetryPolicy p;
  p.max_attempts = 3;
  p.first_delay_s = 60;
  long long now = 1796587200;
  DeliveryStats s = box.deliver(*smtp, now, p);
  EXPECT_EQ(s.sent, 1);
  EXPECT_EQ(s.retried, 1);
  EXPECT_EQ(s.failed, 1);                                       // 550: permanent
  EXPECT_EQ(box.deliver(*smtp, now + 59, p).retried, 0);        // not due yet
  EXPECT_EQ(box.deliver(*smtp, now + 60, p).retried, 1);        // second attempt
  EXPECT_EQ(box.deliver(*smtp, now + 60 + 119, p).retried, 0);  // backoff doubled
  DeliveryStats last = box.deliver(*smtp, now + 60 + 120, p);
  EXPECT_EQ(last.failed, 1);
  EXPECT_EQ(box.count("failed"), 2);
  EXPECT_EQ(box.count("sent"), 1);
  EXPECT_EQ(sink.messages().size(), 1u);
  for (const auto& e : box.entries()) {
    if (e.state == "failed") {
      EXPECT_FALSE(e.last_error.empty());
    }
  }
}

// The SMTP server is down (nothing listens): the mails stay queued with the
// error and a retry time; retry_now makes them due at once and the stored
// bytes go out when the server is back, each once.
TEST_P(OutboxTest, ServerDownKeepsMailsAndRetryNowSendsStoredBytes) {
  KCI_REQUIRE_AIOSMTPD();
  Outbox box(*db_->sql);
  box.queue(report("checkout:1:build", "a"), context());
  box.queue(report("checkout:2:build", "b"), context());
  std::map<std::string, std::string> stored;
  db_->sql->exec("SELECT message_id, message FROM notify_outbox", {},
                 [&](const store::SqlRow& r) { stored[std::string(r.text(0))] = r.text(1); });
  ASSERT_EQ(stored.size(), 2u);
  // A port nothing listens on: the sink's, before it starts.
  fs::path received = dir_ / "smtp";
  int port = [] {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    close(s);
    return static_cast<int>(ntohs(a.sin_port));
  }();
  SmtpOptions o;
  o.url = "smtp://127.0.0.1:" + std::to_string(port);
  o.timeout_s = 5;
  auto smtp = smtp_transport(o);
  long long now = 1796587200;
  DeliveryStats down = box.deliver(*smtp, now);
  EXPECT_EQ(down.sent, 0);
  EXPECT_EQ(down.retried, 2);
  EXPECT_EQ(down.failed, 0);
  EXPECT_FALSE(down.last_error.empty());
  EXPECT_EQ(down.next_retry, now + 60);
  EXPECT_EQ(box.count("queued"), 2);
  EXPECT_EQ(box.deliver(*smtp, now + 1).retried, 0);  // waiting for the retry
  testing::SmtpSink sink(smtp_sink_script(), received, {}, port);
  EXPECT_EQ(box.retry_now(now + 1), 2);
  DeliveryStats up = box.deliver(*smtp, now + 1);
  EXPECT_EQ(up.sent, 2);
  EXPECT_TRUE(up.last_error.empty());
  EXPECT_EQ(box.retry_now(now + 2), 0);
  auto messages = sink.messages();
  ASSERT_EQ(messages.size(), 2u);
  for (const auto& m : messages) {
    std::string id = header(m, "Message-ID");
    ASSERT_TRUE(stored.count(id)) << id;
    EXPECT_EQ(m, stored[id]);  // the stored bytes, not rendered again
  }
}

// A notifier killed with SIGKILL while mails go out, then restarted: every
// mail reaches the server at least once, and every mail that arrives more
// than once arrives with the same Message-ID.
TEST_P(OutboxTest, KillDuringDeliveryLosesNothing) {
  KCI_REQUIRE_AIOSMTPD();
  testing::SmtpSink sink(smtp_sink_script(), dir_ / "smtp");
  const int kMails = 60;
  std::map<std::string, std::string> id_of_subject;
  {
    Outbox box(*db_->sql);
    for (int i = 0; i < kMails; ++i) {
      RenderedReport r = report("checkout:" + std::to_string(i) + ":test:baseline", "x");
      QueueResult q = box.queue(r, context());
      id_of_subject[r.subject] = q.message_id;
    }
  }
  db_->sql.reset();  // the child opens its own connection
  db_->store.reset();
  pid_t child = fork();
  if (child == 0) {
    // The child delivers one mail per call, so it is killed between mails
    // or in the middle of one.
    auto db = store::SqlConnection::open(db_->spec);
    Outbox box(*db);
    SmtpOptions o;
    o.url = sink.url();
    auto smtp = smtp_transport(o);
    while (box.deliver(*smtp, 1796587200, {}, 1).sent > 0) {
    }
    _exit(0);
  }
  // Kill once about a third of the mails have arrived.
  for (int spins = 0; spins < 3000 && sink.messages().size() < kMails / 3; ++spins) usleep(2000);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child finished before it was killed";
  std::size_t before_restart = sink.messages().size();
  EXPECT_LT(before_restart, static_cast<std::size_t>(kMails));

  db_->sql = store::SqlConnection::open(db_->spec);
  Outbox box(*db_->sql);
  SmtpOptions o;
  o.url = sink.url();
  auto smtp = smtp_transport(o);
  box.deliver(*smtp, 1796587200);
  EXPECT_EQ(box.count("sent"), kMails);

  std::map<std::string, std::set<std::string>> ids;  // subject -> Message-IDs received
  for (const auto& m : sink.messages()) ids[header(m, "Subject")].insert(header(m, "Message-ID"));
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kMails)) << "a mail was lost";
  for (const auto& [subject, set] : ids) {
    ASSERT_EQ(set.size(), 1u) << subject << " arrived with two Message-IDs";
    EXPECT_EQ(*set.begin(), id_of_subject[subject]);
  }
  std::printf("kill -9 after %zu of %d mails; %zu received in all (duplicates: %zu)\n",
              before_restart, kMails, sink.messages().size(), sink.messages().size() - kMails);
}

INSTANTIATE_TEST_SUITE_P(Drivers, OutboxTest,
                         ::testing::Values(store::Driver::kSqlite, store::Driver::kPostgresql),
                         [](const auto& param_info) {
                           return param_info.param == store::Driver::kSqlite ? "sqlite"
                                                                             : "postgresql";
                         });

}  // namespace
}  // namespace kci::notify

namespace kci::notify {
namespace {

class TestDataSource : public ReportSource {
 public:
  explicit TestDataSource(CheckoutReports r) : r_(std::move(r)) {}
  CheckoutReports reports(const CheckoutInfo&) override {
    ++calls;
    return r_;
  }
  int calls = 0;

 private:
  CheckoutReports r_;
};

TestReport golden_test_report() {
  ReportInput in = parse_report_input(
      read_file(std::string(KCI_SOURCE_DIR) + "/src/notify/testdata/test_report.json"), "t");
  return std::get<TestReport>(in.data);
}

NotifierConfig notifier_config() {
  NotifierConfig c;
  std::string dir = std::string(KCI_SOURCE_DIR) + "/src/notify/testdata/subscriptions/";
  for (const char* f : {"kci-rules.yaml", "mainline.yaml"}) {
    for (auto& s : load_subscriptions(dir + f)) c.subscriptions.push_back(std::move(s));
  }
  c.from = {"kci", "bot@kci.example.org"};
  c.domain = "kci.example.org";
  c.quiet_seconds = 600;
  return c;
}

TEST_P(OutboxTest, SubscriptionsContactsAndQuietPeriod) {
  Notifier n(*db_->sql, notifier_config());
  CheckoutInfo c;
  c.id = "kci:4f1c0d3e";
  c.tree = "mainline";
  c.branch = "master";
  c.origin = "kci";
  c.contacts = {"Patch Author <author@example.org>", "bad\r\nBcc: x@y"};
  c.message_id = "<20261206.patch@lore.example.org>";
  CheckoutReports reports;
  reports.tests.push_back(golden_test_report());

  ingest::ObjectsChanged event;
  event.checkouts = {c.id};
  n.on_change(event, 1000);
  EXPECT_TRUE(n.quiet_checkouts(1599).empty());
  ASSERT_EQ(n.quiet_checkouts(1600), std::vector<std::string>{c.id});

  // arm64-baseline (origin kci, arm64, baseline.*) and the patch's
  // contacts; the dashboard file's subscriptions are for origin maestro.
  EXPECT_EQ(n.queue_reports(c, reports, 1600), 2);
  EXPECT_EQ(n.queue_reports(c, reports, 1700), 0);  // same content: nothing new
  auto entries = n.outbox().entries();
  ASSERT_EQ(entries.size(), 2u);
  std::set<std::string> subs;
  for (const auto& e : entries) subs.insert(e.subscription);
  EXPECT_EQ(subs, (std::set<std::string>{"arm64-baseline", "contacts"}));

  fs::path md = dir_ / "md";
  auto t = maildir_transport(md.string());
  n.outbox().deliver(*t, 1600);
  int replies = 0;
  for (const auto& e : fs::directory_iterator(md / "new")) {
    std::string m = read_file(e.path().string());
    EXPECT_EQ(header(m, "In-Reply-To"), "<20261206.patch@lore.example.org>");
    if (header(m, "To") == "\"Patch Author\" <author@example.org>") ++replies;
    // The arm64 subscription sees only the arm64 runs.
    if (header(m, "To").find("arm@example.org") != std::string::npos) {
      EXPECT_EQ(m.find("qemu-x86_64"), std::string::npos);
      EXPECT_NE(header(m, "Subject").find("2 regressions"), std::string::npos)
          << header(m, "Subject");
    }
  }
  EXPECT_EQ(replies, 1);

  // process(): the quiet checkout's reports are made once, then it is no
  // longer pending.
  NotifierConfig o = notifier_config();
  o.to_override = Address{"", "trial@example.org"};
  Notifier trial(*db_->sql, o);
  TestDataSource source(reports);
  trial.touch("kci:other", 2000);
  // kci:4f1c0d3e is still pending and quiet; its mails were queued above
  // (same subscription, subject and content), so nothing new.
  EXPECT_EQ(trial.process(source, 2599), 0);
  EXPECT_EQ(source.calls, 1);
  EXPECT_EQ(trial.quiet_checkouts(2599).size(), 0u);
  // kci:other becomes quiet at 2600.
  EXPECT_EQ(trial.process(source, 2600), 0);
  EXPECT_EQ(source.calls, 2);
  EXPECT_TRUE(trial.quiet_checkouts(5000).empty());
}

// A done bisection with a culprit is mailed once to the subscriptions that
// want bisection reports of its tree, however often the queueing runs.
TEST_P(OutboxTest, DoneBisectionsAreQueuedOncePerSubscription) {
  bisect::BisectionTable table(*db_->sql);
  auto add = [&](const std::string& key, bool culprit) {
    bisect::BisectRequest q;
    q.identity_key = key;
    q.good_checkout = "kci:good";
    q.bad_checkout = "kci:bad-" + key;
    q.origin = "kci";
    q.tree_name = "mainline";
    q.git_repository_branch = "master";
    q.test_path = "baseline.dmesg.crit";
    q.platform = "qemu-x86_64";
    q.arch = "x86_64";
    q.good = std::string(40, 'a');
    q.bad = std::string(40, 'b');
    EXPECT_TRUE(table.queue(q, 1));
    auto claimed = table.claim("w", 2, 100);
    EXPECT_TRUE(claimed);
    bisect::BisectResult r;
    r.status = culprit ? "found" : "ambiguous";
    r.good = q.good;
    r.bad = q.bad;
    if (culprit) {
      bisect::CommitInfo c;
      c.hash = std::string(40, 'c');
      c.subject = "mm: break " + key;
      c.author = "Dev <dev@example.org>";
      c.trailers = {"Signed-off-by: Dev <dev@example.org>", "Acked-by: Ack <ack@example.org>"};
      r.culprit = c;
    }
    table.finish(claimed->id, r, culprit ? "kci:bisect-cccc" : "", 3);
  };
  add("one", true);
  add("two", false);  // no culprit: no mail
  NotifierConfig config;
  Subscription wants;
  wants.name = "bisections";
  wants.tree = "mainline";
  wants.kinds = {ReportKind::kBisection};
  wants.to = {Address{"", "bisect@example.org"}};
  Subscription other = wants;
  other.name = "tests-only";
  other.kinds = {ReportKind::kTest};
  Subscription arm = wants;  // another architecture's bisections only
  arm.name = "arm64";
  arm.architectures = {"arm64"};
  Subscription x86 = wants;
  x86.name = "x86-dmesg";
  x86.architectures = {"x86_64"};
  x86.test_path = "baseline.dmesg.*";
  config.subscriptions = {wants, other, arm, x86};
  config.bisection_to_culprit = false;  // subscriptions only
  Notifier n(*db_->sql, config);
  EXPECT_EQ(queue_bisection_reports(n, *db_->sql, "kci <bot@example.org>", 10), 2);
  EXPECT_EQ(queue_bisection_reports(n, *db_->sql, "kci <bot@example.org>", 20), 0);
  auto entries = n.outbox().entries();
  ASSERT_EQ(entries.size(), 2u);
  std::set<std::string> subs;
  for (const auto& e : entries) {
    subs.insert(e.subscription);
    EXPECT_EQ(e.kind, "bisection");
  }
  EXPECT_EQ(subs, (std::set<std::string>{"bisections", "x86-dmesg"}));
  auto due = n.outbox().due_messages(10);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_NE(due[0].find("mainline/master bisection: baseline.dmesg.crit on qemu-x86_64"),
            std::string::npos)
      << due[0];
  EXPECT_NE(due[0].find("mm: break one"), std::string::npos);

  // By default the culprit's people get it too: one more mail, To the
  // author, the committer and the trailer addresses, queued once.
  config.bisection_to_culprit = true;
  Notifier people(*db_->sql, config);
  EXPECT_EQ(queue_bisection_reports(people, *db_->sql, "kci <bot@example.org>", 30), 1);
  EXPECT_EQ(queue_bisection_reports(people, *db_->sql, "kci <bot@example.org>", 40), 0);
  due = people.outbox().due_messages(40);
  ASSERT_EQ(due.size(), 3u);
  std::string culprit_mail;
  for (const auto& m : due)
    if (m.find("X-Kci-Subscription: culprit") != std::string::npos ||
        header(m, "To").find("dev@example.org") != std::string::npos)
      culprit_mail = m;
  ASSERT_FALSE(culprit_mail.empty());
  EXPECT_EQ(header(culprit_mail, "To"), "\"Dev\" <dev@example.org>, \"Ack\" <ack@example.org>");
  EXPECT_EQ(header(culprit_mail, "Cc"), "");
}

}  // namespace
}  // namespace kci::notify
