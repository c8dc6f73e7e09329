// SPDX-License-Identifier: LGPL-2.1-or-later
// SMTP delivery through libcurl to a real SMTP server on loopback
// (python3-aiosmtpd). Outside CI a missing aiosmtpd skips; under CI=true
// it fails.
#include "notify/transport.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "notify/mail.h"
#include "notify/smtp_sink.h"
#include "util/test_support.h"

namespace kci::notify {
namespace {

namespace fs = std::filesystem;

std::string script() { return std::string(KCI_SOURCE_DIR) + "/src/notify/testdata/smtp_sink.py"; }

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("kci-notify-" + name + "-" + std::to_string(getpid()));
  fs::remove_all(d);
  return d;
}

#define REQUIRE_AIOSMTPD()                                        \
  do {                                                            \
    if (!testing::aiosmtpd_available()) {                         \
      KCI_MISSING_REAL_PART("python3-aiosmtpd is not installed"); \
    }                                                             \
  } while (0)

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
  REQUIRE_AIOSMTPD();
  fs::path dir = temp_dir("smtp");
  testing::SmtpSink sink(script(), dir);
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
  REQUIRE_AIOSMTPD();
  fs::path dir = temp_dir("smtp-refuse");
  testing::SmtpSink sink(script(), dir);
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
  fs::path dir = temp_dir("maildir");
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
