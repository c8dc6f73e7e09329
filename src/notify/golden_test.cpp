// SPDX-License-Identifier: LGPL-2.1-or-later
// Golden files: each src/notify/testdata/NAME.json (report data and mail
// fields) must render to testdata/NAME.eml byte for byte. To regenerate
// after an intended change, and review the diff:
//   KCI_REGENERATE_GOLDEN=1 build/src/notify/notify_test --gtest_filter='Golden*'
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "notify/mail.h"
#include "notify/report_json.h"
#include "util/file.h"

namespace kci::notify {
namespace {

namespace fs = std::filesystem;

fs::path testdata() { return fs::path(KCI_SOURCE_DIR) / "src/notify/testdata"; }

std::string mail_of(const fs::path& input) {
  ReportInput in = parse_report_input(read_file(input.string()), input.filename().string());
  RenderedReport r = render_input(in);
  MailContext c;
  c.subscription = in.subscription;
  c.from = parse_address(in.from);
  for (const auto& t : in.to) c.to.push_back(parse_address(t));
  c.domain = in.domain;
  c.date = in.date;
  c.in_reply_to = in.in_reply_to;
  return render_message(compose_mail(r, c));
}

TEST(Golden, EveryInputRendersToItsMail) {
  bool regenerate = std::getenv("KCI_REGENERATE_GOLDEN") != nullptr;
  int cases = 0;
  for (const auto& e : fs::directory_iterator(testdata())) {
    if (e.path().extension() != ".json") continue;
    ++cases;
    fs::path expected = e.path();
    expected.replace_extension(".eml");
    std::string mail = mail_of(e.path());
    if (regenerate) {
      write_file_atomic(expected.string(), mail);
      continue;
    }
    ASSERT_TRUE(fs::exists(expected)) << expected << " missing: regenerate (see golden_test.cpp)";
    EXPECT_EQ(read_file(expected.string()), mail) << "for " << e.path().filename();
  }
  EXPECT_GE(cases, 4);
}

TEST(Golden, BodyLinesAreShortAndEndInCrlf) {
  for (const auto& e : fs::directory_iterator(testdata())) {
    if (e.path().extension() != ".json") continue;
    std::string mail = mail_of(e.path());
    std::size_t i = 0;
    while (i < mail.size()) {
      std::size_t nl = mail.find("\r\n", i);
      ASSERT_NE(nl, std::string::npos) << "unterminated last line in " << e.path();
      EXPECT_LE(nl - i, 998u);
      EXPECT_EQ(mail.substr(i, nl - i).find('\n'), std::string::npos) << "bare LF";
      i = nl + 2;
    }
  }
}

}  // namespace
}  // namespace kci::notify
