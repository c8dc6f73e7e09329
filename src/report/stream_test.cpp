// SPDX-License-Identifier: LGPL-2.1-or-later
#include "report/stream.h"

#include <gtest/gtest.h>

#include <string>

namespace kci::report {
namespace {

TEST(JsonStream, ReadsConcatenatedValues) {
  JsonStreamReader reader("{\"a\": 1}\n[2]\n\"x\"", "<test>");
  int values = 0;
  while (auto v = reader.next()) ++values;
  EXPECT_EQ(values, 3);
}

// A text that ends inside a UTF-8 sequence (its lead byte, or lead and some
// continuation bytes) is a parse error naming the place. RapidJSON reads
// the whole sequence once it has seen the lead byte: before the reader
// padded its working copy, a 4-byte lead at the very end was read past the
// buffer (AddressSanitizer: heap-buffer-overflow; fuzz/regressions/report/).
TEST(JsonStream, TruncatedUtf8AtTheEndIsAParseError) {
  for (std::string tail : {"\xC3", "\xE2\x82", "\xF0", "\xF4", "\xF4\x8F", "\xF4\x8F\xBF"}) {
    std::string text = "{\"version\":{\"ma" + tail;
    JsonStreamReader reader(text, "<test>");
    try {
      reader.next();
      ADD_FAILURE() << "no error for a text ending in a partial UTF-8 sequence";
    } catch (const ParseError& e) {
      EXPECT_EQ(e.line(), 1u);
      EXPECT_NE(std::string(e.what()).find("<test>:1:"), std::string::npos) << e.what();
    }
  }
}

TEST(JsonStream, TruncatedUtf8InSequenceFramingIsAParseError) {
  JsonStreamReader reader("\n\x1e{\"version\":{\"ma~or\xF4", "<test>", true);
  EXPECT_THROW(reader.next(), ParseError);
}

}  // namespace
}  // namespace kci::report
