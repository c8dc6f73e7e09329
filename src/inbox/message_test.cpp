// SPDX-License-Identifier: LGPL-2.1-or-later
#include "inbox/message.h"

#include <gtest/gtest.h>

namespace kci::inbox {
namespace {

TEST(InboxMessage, ParsesFoldedAndEncodedHeaders) {
  Message m = parse_message(
      "From mboxrd@z Thu Jan  1 00:00:00 1970\r\n"
      "From: =?UTF-8?Q?Carol_M=C3=BCller?= <carol@example.org>\r\n"
      "Subject: [PATCH v2 1/2] net: a subject\r\n"
      " that was folded\r\n"
      "To: a@example.org,\r\n"
      "\t\"B, C\" <b@example.org>\r\n"
      "Date: Wed, 02 Dec 2026 09:00:00 +0100\r\n"
      "message-id: <x@y>\r\n"
      "In-Reply-To: <p@q> (comment)\r\n"
      "References: <a@b>\r\n"
      "  <p@q>\r\n"
      "\r\n"
      "body line\r\n");
  EXPECT_EQ(m.from, "Carol Müller <carol@example.org>");
  EXPECT_EQ(m.subject, "[PATCH v2 1/2] net: a subject that was folded");
  EXPECT_EQ(m.message_id, "x@y");
  EXPECT_EQ(m.in_reply_to, "p@q");
  EXPECT_EQ(m.references, (std::vector<std::string>{"a@b", "p@q"}));
  EXPECT_EQ(m.date, 1796198400);  // 2026-12-02T08:00:00Z
  EXPECT_EQ(m.body(), "body line\r\n");
  EXPECT_EQ(parse_addresses(m.to), (std::vector<std::string>{"a@example.org", "b@example.org"}));
  EXPECT_FALSE(m.automated);
}

TEST(InboxMessage, EncodedWords) {
  EXPECT_EQ(decode_encoded_words("=?utf-8?b?SGVsbG8=?= =?utf-8?q?_w=C3=B6rld?="), "Hello wörld");
  EXPECT_EQ(decode_encoded_words("=?ISO-8859-1?Q?J=F6rg?= Foo"), "Jörg Foo");
  EXPECT_EQ(decode_encoded_words("plain =? text"), "plain =? text");
}

TEST(InboxMessage, Dates) {
  EXPECT_EQ(parse_date("Thu, 01 Jan 1970 00:00:00 +0000"), 0);
  EXPECT_EQ(parse_date("1 Jan 1970 02:00:01 +0200"), 1);
  EXPECT_EQ(parse_date("Thu, 1 Jan 1970 00:01:00 GMT"), 60);
  EXPECT_EQ(parse_date("Thu, 1 Jan 1970 00:00 -0001"), 60);
  EXPECT_EQ(parse_date("garbage"), 0);
}

TEST(InboxMessage, AutomatedAndMissingHeaders) {
  Message bot = parse_message("Auto-Submitted: auto-generated\nSubject: x\n\nb\n");
  EXPECT_TRUE(bot.automated);
  Message none = parse_message("no headers at all");
  EXPECT_EQ(none.message_id, "");
  EXPECT_EQ(header_value("X-A: 1\nX-B: =?utf-8?q?two?=\n\n", "x-b"), "two");
}

}  // namespace
}  // namespace kci::inbox
