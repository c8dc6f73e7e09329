// SPDX-License-Identifier: LGPL-2.1-or-later
// Golden files: each src/notify/testdata/NAME.json (report data and mail
// fields) must render to testdata/NAME.eml byte for byte (the live test
// report's golden case is in analysis_source_test.cpp). To regenerate
// after an intended change, and review the diff:
//   scripts/update-golden.sh   (KCI_UPDATE_GOLDEN=1 ctest -R '^Golden\.')
#include <gtest/gtest.h>

#include <filesystem>

#include "notify/mail.h"
#include "notify/report_json.h"
#include "util/file.h"
#include "util/test_support.h"

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
  int cases = 0;
  for (const fs::path& input : kci::testing::golden_inputs(testdata(), ".json")) {
    ++cases;
    fs::path expected = input;
    expected.replace_extension(".eml");
    EXPECT_TRUE(kci::testing::check_golden(expected, mail_of(input))) << input.filename();
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
