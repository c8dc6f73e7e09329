// SPDX-License-Identifier: LGPL-2.1-or-later
#include "notify/header.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "notify/message.h"
#include "util/error.h"

namespace kci::notify {
namespace {

TEST(Header, AsciiSubjectIsFoldedAt78) {
  std::string value;
  for (int i = 0; i < 30; ++i) value += "word" + std::to_string(i) + " ";
  std::string h = unstructured_header("Subject", value);
  EXPECT_EQ(h.substr(0, 15), "Subject: word0 ");
  std::size_t start = 0;
  int lines = 0;
  while (true) {
    std::size_t nl = h.find("\r\n", start);
    std::size_t end = nl == std::string::npos ? h.size() : nl;
    EXPECT_LE(end - start, 78u);
    ++lines;
    if (nl == std::string::npos) break;
    EXPECT_EQ(h[nl + 2], ' ');  // a continuation line
    start = nl + 2;
  }
  EXPECT_GT(lines, 1);
  // Unfolding gives the cleaned value back.
  std::string unfolded;
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (h.compare(i, 2, "\r\n") == 0) {
      ++i;
      continue;
    }
    unfolded += h[i];
  }
  EXPECT_EQ(unfolded, "Subject: " + clean_header_text(value));
}

TEST(Header, NonAsciiIsEncodedWords) {
  std::string h = unstructured_header("Subject", "Grüße — ünïcödé");
  EXPECT_EQ(h, "Subject: =?UTF-8?B?R3LDvMOfZSDigJQgw7xuw69jw7Zkw6k=?=");
  std::string long_h = unstructured_header("Subject", std::string(100, 'x') + "é");
  for (char c : long_h) EXPECT_LT(static_cast<unsigned char>(c), 0x80);
  EXPECT_NE(long_h.find("\r\n =?UTF-8?B?"), std::string::npos);
}

TEST(Header, LooksLikeAnEncodedWordIsEncoded) {
  EXPECT_EQ(unstructured_header("Subject", "=?x?="), "Subject: =?UTF-8?B?PT94Pz0=?=");
}

TEST(Header, ControlCharactersBecomeSpaces) {
  EXPECT_EQ(clean_header_text("a\r\nBcc: evil@example.org\x01\x7f\tb"),
            "a Bcc: evil@example.org b");
  EXPECT_EQ(clean_header_text("x\xc2\x85y\xe2\x80\xa8z"), "x y z");  // NEL, LINE SEPARATOR
  EXPECT_EQ(clean_header_text("bad\xff"), "bad\xef\xbf\xbd");
}

TEST(Header, Addresses) {
  EXPECT_EQ(parse_address("Jane Doe <jane@example.org>"),
            (Address{"Jane Doe", "jane@example.org"}));
  EXPECT_EQ(parse_address("\"Doe, Jane\" <jane@example.org>"),
            (Address{"Doe, Jane", "jane@example.org"}));
  EXPECT_EQ(parse_address(" a@b.c "), (Address{"", "a@b.c"}));
  EXPECT_EQ(format_address({"Doe, \"J\"", "j@x.org"}), "\"Doe, \\\"J\\\"\" <j@x.org>");
  EXPECT_EQ(format_address({"Jürgen", "j@x.org"}), "=?UTF-8?B?SsO8cmdlbg==?= <j@x.org>");
  for (const char* bad : {"a@b\r\nBcc: c@d", "<a@b> x", "a b@c", "a@b@c", "@b", "a@", "a@b..c",
                          "a\"b@c", "Name <a@b>\n"}) {
    EXPECT_THROW(parse_address(bad), InvalidInputError) << bad;
  }
  EXPECT_THROW(format_address({"x", "a@b\nBcc: c@d"}), InvalidInputError);
}

// A long name folds: encoded words and "<email>" are separate tokens, so no
// line of the header passes 998 bytes (the mail fuzz target's finding:
// 200 bytes of invalid UTF-8 in a display name).
TEST(Header, LongAddressNamesFold) {
  std::vector<Address> to = {
      {std::string(200, '\xff') + std::string(60, '\xb5'), "jane@example.org"},
      {std::string(2000, 'a'), "b@example.org"},
      {std::string(300, 'x') + " Doe", "c@example.org"}};
  std::string h = address_header("To", to);
  std::size_t pos = 0;
  while (pos <= h.size()) {
    std::size_t end = h.find("\r\n", pos);
    if (end == std::string::npos) end = h.size();
    EXPECT_LE(end - pos, 998u) << h.substr(pos, end - pos);
    pos = end + 2;
  }
  EXPECT_NE(h.find("<jane@example.org>,"), std::string::npos);
  EXPECT_NE(h.find("<c@example.org>"), std::string::npos);
  // The invalid UTF-8 name is encoded words on lines of their own.
  EXPECT_GE(std::count(h.begin(), h.end(), '\n'), 10);
  // Short names stay as they were.
  EXPECT_EQ(address_header("To", {{"Jane Doe", "j@x.org"}, {"", "k@x.org"}}),
            "To: \"Jane Doe\" <j@x.org>, k@x.org");
}

TEST(Header, MessageIds) {
  EXPECT_EQ(bracket_message_id("abc@def"), "<abc@def>");
  EXPECT_EQ(bracket_message_id("<abc@def>"), "<abc@def>");
  EXPECT_THROW(bracket_message_id("abc@def>\r\nBcc: x@y"), InvalidInputError);
  EXPECT_THROW(bracket_message_id("no-at"), InvalidInputError);
  std::string a = stable_message_id("sub", "checkout:1:test:baseline", "test", "h1", "kci.example");
  EXPECT_EQ(a, stable_message_id("sub", "checkout:1:test:baseline", "test", "h1", "kci.example"));
  EXPECT_NE(a, stable_message_id("sub", "checkout:1:test:baseline", "test", "h2", "kci.example"));
  EXPECT_NE(a, stable_message_id("sub2", "checkout:1:test:baseline", "test", "h1", "kci.example"));
  EXPECT_TRUE(valid_message_id(a));
}

TEST(Header, Date) { EXPECT_EQ(rfc5322_date(1796587200), "Sun, 06 Dec 2026 20:00:00 +0000"); }

TEST(Body, LongLinesAreCutAtCharacterBoundaries) {
  std::string line = std::string(997, 'a') + "é" + std::string(10, 'b');
  std::string body = mail_body(line + "\n\x01short\r\n");
  EXPECT_EQ(body, std::string(997, 'a') + "\r\n" + "é" + std::string(10, 'b') + "\r\nshort\r\n");
  std::string huge(5000, 'z');
  std::string cut = mail_body(huge);
  EXPECT_EQ(cut.size(), 5000u + 6 * 2);
}

}  // namespace
}  // namespace kci::notify
