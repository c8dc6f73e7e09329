// SPDX-License-Identifier: LGPL-2.1-or-later
// SMTP delivery through libcurl to a real SMTP server on loopback
// (python3-aiosmtpd). Outside CI a missing aiosmtpd skips; under CI=true
// it fails.
#include "notify/transport.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "notify/mail.h"
#include "notify/test_fixture.h"
#include "util/subprocess.h"

namespace kci::notify {
namespace {

namespace fs = std::filesystem;

using testing::fresh_temp_dir;
using testing::smtp_sink_script;

SmtpOptions smtp_to(const std::string& url) {
  SmtpOptions o;
  o.url = url;
  return o;
}

std::string mail(int i, const std::string& body) {
  Message m;
  m.from = {"kci", "bot@kci.example.org"};
  m.to = {{"", "list@example.org"}};
  m.subject = "mail " + std::to_string(i);
  m.message_id = "<m" + std::to_string(i) + "@kci.example.org>";
  m.body = body;
  return render_message(m);
}

TEST(Smtp, DeliversTheStoredBytesOverOneConnection) {
  KCI_REQUIRE_AIOSMTPD();
  fs::path dir = fresh_temp_dir("notify-smtp");
  testing::SmtpSink sink(smtp_sink_script(), dir);
  auto smtp = smtp_transport(smtp_to(sink.url()));
  Envelope env{"bot@kci.example.org", {"list@example.org", "other@example.org"}};
  std::vector<std::string> sent;
  for (int i = 0; i < 3; ++i) {
    // A lone "." line must survive SMTP's dot-stuffing.
    sent.push_back(mail(i, "line\n.\n..two dots\nend\n"));
    smtp->send(env, sent.back());
  }
  auto got = sink.messages();
  ASSERT_EQ(got.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(got[i], sent[i]);
  fs::remove_all(dir);
}

TEST(Smtp, TemporaryAndPermanentRefusals) {
  KCI_REQUIRE_AIOSMTPD();
  fs::path dir = fresh_temp_dir("notify-smtp-refuse");
  testing::SmtpSink sink(smtp_sink_script(), dir);
  auto smtp = smtp_transport(smtp_to(sink.url()));
  try {
    smtp->send({"bot@kci.example.org", {"tempfail@example.org"}}, mail(1, "x"));
    FAIL() << "no error";
  } catch (const DeliveryError& e) {
    EXPECT_FALSE(e.permanent()) << e.what();
  }
  try {
    smtp->send({"bot@kci.example.org", {"reject@example.org"}}, mail(2, "x"));
    FAIL() << "no error";
  } catch (const DeliveryError& e) {
    EXPECT_TRUE(e.permanent()) << e.what();
  }
  EXPECT_TRUE(sink.messages().empty());
  fs::remove_all(dir);
}

// STARTTLS and AUTH against a server that requires both (a self-signed
// certificate made with openssl for this test; --insecure as a test set-up
// with its own CA would): the mail goes through only with both, and a wrong
// password is refused.
TEST(Smtp, StartTlsAndAuth) {
  KCI_REQUIRE_AIOSMTPD();
  fs::path dir = fresh_temp_dir("notify-smtp-tls");
  RunOptions ro;
  ro.cwd = dir.string();
  RunResult cert = run_process({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                                "-keyout", "key.pem", "-out", "cert.pem", "-days", "1", "-subj",
                                "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"},
                               ro);
  if (cert.exit_code != 0) KCI_MISSING_REAL_PART("openssl could not make a certificate");
  testing::SmtpSink sink(
      smtp_sink_script(), dir / "in",
      {"--tls", (dir / "cert.pem").string(), (dir / "key.pem").string(), "--auth", "kci:s3cret"});
  Envelope env{"bot@kci.example.org", {"list@example.org"}};
  SmtpOptions o = smtp_to(sink.url());
  o.starttls = true;
  o.insecure = true;
  o.user = "kci";
  o.password = "s3cret";
  smtp_transport(o)->send(env, mail(1, "over TLS\n"));
  ASSERT_EQ(sink.messages().size(), 1u);
  EXPECT_EQ(sink.messages()[0], mail(1, "over TLS\n"));

  SmtpOptions bad = o;
  bad.password = "wrong";
  try {
    smtp_transport(bad)->send(env, mail(2, "x"));
    ADD_FAILURE() << "no error";
  } catch (const DeliveryError& e) {
    EXPECT_TRUE(e.permanent()) << e.what();  // 535: retrying will not help
  }
  SmtpOptions plain = o;  // no STARTTLS: no AUTH, no mail
  plain.starttls = false;
  EXPECT_THROW(smtp_transport(plain)->send(env, mail(3, "x")), DeliveryError);
  SmtpOptions anonymous = o;
  anonymous.user.clear();
  EXPECT_THROW(smtp_transport(anonymous)->send(env, mail(4, "x")), DeliveryError);
  SmtpOptions unchecked = o;  // the certificate is not trusted unless told
  unchecked.insecure = false;
  EXPECT_THROW(smtp_transport(unchecked)->send(env, mail(5, "x")), DeliveryError);
  EXPECT_EQ(sink.messages().size(), 1u);
  fs::remove_all(dir);
}

// A server that accepts the connection and never says a word: the send
// gives up after the timeout with a temporary error (retried later).
TEST(Smtp, SilentServerTimesOut) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(s, 4), 0);  // the kernel accepts; nobody answers
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  SmtpOptions o = smtp_to("smtp://127.0.0.1:" + std::to_string(ntohs(a.sin_port)));
  o.timeout_s = 1;
  auto start = std::chrono::steady_clock::now();
  try {
    smtp_transport(o)->send({"a@b.org", {"c@d.org"}}, mail(1, "x"));
    ADD_FAILURE() << "no error";
  } catch (const DeliveryError& e) {
    EXPECT_FALSE(e.permanent()) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  close(s);
}

TEST(Smtp, UnreachableServerIsATemporaryError) {
  SmtpOptions o;
  o.url = "smtp://127.0.0.1:1";
  o.connect_timeout_s = 2;
  auto smtp = smtp_transport(o);
  try {
    smtp->send({"a@b.org", {"c@d.org"}}, mail(1, "x"));
    FAIL() << "no error";
  } catch (const DeliveryError& e) {
    EXPECT_FALSE(e.permanent());
  }
  EXPECT_THROW(smtp_transport(smtp_to("http://x")), UsageError);
}

TEST(Maildir, WritesEachMailOnceByMessageId) {
  fs::path dir = fresh_temp_dir("notify-maildir");
  auto md = maildir_transport(dir.string());
  md->send({"a@b.org", {"c@d.org"}}, mail(1, "x"));
  md->send({"a@b.org", {"c@d.org"}}, mail(1, "x"));  // a re-delivery
  md->send({"a@b.org", {"c@d.org"}}, mail(2, "y"));
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir / "new")) n += e.is_regular_file();
  EXPECT_EQ(n, 2);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kci::notify
