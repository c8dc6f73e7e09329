// SPDX-License-Identifier: LGPL-2.1-or-later
#include "report/patterns.h"

#include <gtest/gtest.h>

#include <string>

#include "report/formats.h"

namespace kci::report {
namespace {

using namespace std::string_literals;

const std::string kHash40 = "0123456789abcdef0123456789abcdef01234567";
const std::string kHash64 = kHash40 + "0123456789abcdef01234567";

TEST(Patterns, DollarMatchesBeforeOneFinalNewlineAsInPython) {
  EXPECT_TRUE(matches(Pattern::kOrigin, "abc"));
  EXPECT_TRUE(matches(Pattern::kOrigin, "abc\n"));
  EXPECT_FALSE(matches(Pattern::kOrigin, "abc\n\n"));
  EXPECT_FALSE(matches(Pattern::kOrigin, "\n"));
  EXPECT_FALSE(matches(Pattern::kOrigin, ""));
  EXPECT_TRUE(matches(Pattern::kWordOrEmpty, ""));
  EXPECT_TRUE(matches(Pattern::kWordOrEmpty, "\n"));
  EXPECT_TRUE(matches(Pattern::kCommitHash, kHash40 + "\n"));
  EXPECT_FALSE(matches(Pattern::kCommitHash, kHash40 + "0"));
  EXPECT_TRUE(matches(Pattern::kPath, "ltp\n"));
  EXPECT_TRUE(matches(Pattern::kPatchsetHash, "\n"));
  EXPECT_TRUE(matches(Pattern::kVersionStringV1, "1.0\n"));
}

TEST(Patterns, DotDoesNotMatchNewline) {
  EXPECT_TRUE(matches(Pattern::kIdV3, "a:b c"));
  EXPECT_TRUE(matches(Pattern::kIdV3, "a:b\n"));
  EXPECT_FALSE(matches(Pattern::kIdV3, "a:b\nc"));
  EXPECT_TRUE(matches(Pattern::kIdV5, "a:b\nc"));  // [^\0] matches "\n"
  EXPECT_FALSE(matches(Pattern::kGitUrlV3, "git://x\ny"));
  EXPECT_TRUE(matches(Pattern::kGitUrlV3, "git://x/y"));
  EXPECT_FALSE(matches(Pattern::kGitUrlV3, "http://x/y"));
}

TEST(Patterns, NulIsForbiddenWhereTheRegexSaysSo) {
  EXPECT_FALSE(matches(Pattern::kNoNul, "a\0b"s));
  EXPECT_TRUE(matches(Pattern::kNoNul, "a\nb"));
  EXPECT_FALSE(matches(Pattern::kIdV5, "a:\0"s));
  EXPECT_TRUE(matches(Pattern::kIdV3, "a:\0"s));
  EXPECT_FALSE(matches(Pattern::kResourceNameV5, "a\0"s));
  EXPECT_TRUE(matches(Pattern::kResourceNameV2, "a\0"s));
  EXPECT_FALSE(matches(Pattern::kCompatibleV5, "a\0"s));
  EXPECT_FALSE(matches(Pattern::kGitUrlV5, "https://x\0"s));
}

TEST(Patterns, Ids) {
  EXPECT_TRUE(matches(Pattern::kIdPrefixV2, "a_1:"));
  EXPECT_FALSE(matches(Pattern::kIdPrefixV2, ":x"));
  EXPECT_FALSE(matches(Pattern::kIdPrefixV2, "A:x"));
  EXPECT_TRUE(matches(Pattern::kRevisionIdV3, kHash40));
  EXPECT_TRUE(matches(Pattern::kRevisionIdV3, kHash40 + "+" + kHash64));
  EXPECT_FALSE(matches(Pattern::kRevisionIdV3, kHash40 + "+"));
  EXPECT_TRUE(matches(Pattern::kPatchsetHash, ""));
  EXPECT_TRUE(matches(Pattern::kPatchsetHash, kHash64));
  EXPECT_FALSE(matches(Pattern::kPatchsetHash, kHash40));
}

TEST(Patterns, PathsAndNames) {
  EXPECT_TRUE(matches(Pattern::kPath, ""));
  EXPECT_TRUE(matches(Pattern::kPath, "ltp.fs-x_1.y"));
  EXPECT_FALSE(matches(Pattern::kPath, ".ltp"));
  EXPECT_FALSE(matches(Pattern::kPath, "ltp..x"));
  EXPECT_FALSE(matches(Pattern::kPath, "ltp."));
  EXPECT_TRUE(matches(Pattern::kTestPathV1, "..ltp."));
  EXPECT_TRUE(matches(Pattern::kCompatibleV4, "ti,omap3"));
  EXPECT_TRUE(matches(Pattern::kCompatibleV4, ","));
  EXPECT_FALSE(matches(Pattern::kCompatibleV4, "a, b"));
  EXPECT_FALSE(matches(Pattern::kResourceNameV2, "a/b"));
  EXPECT_FALSE(matches(Pattern::kResourceNameV2, ""));
  EXPECT_TRUE(matches(Pattern::kResourceNameV2, "\n"));
}

TEST(Formats, DateTime) {
  EXPECT_TRUE(is_date_time("2020-08-14T23:08:06.967000+00:00"));
  EXPECT_TRUE(is_date_time("2020-01-01t00:00:00z"));  // checked upper-cased
  EXPECT_TRUE(is_date_time("2020-02-29T00:00:00Z"));
  EXPECT_TRUE(is_date_time("2020-01-01T00:00:00Z\n"));
  EXPECT_FALSE(is_date_time("2019-02-29T00:00:00Z"));
  EXPECT_FALSE(is_date_time("2020-01-01T00:00:00"));  // no timezone
  EXPECT_FALSE(is_date_time("2020-01-01 00:00:00Z"));
  EXPECT_FALSE(is_date_time("2020-01-01T24:00:00Z"));
  EXPECT_FALSE(is_date_time("2020-01-01T00:00:60Z"));
  EXPECT_FALSE(is_date_time("0000-01-01T00:00:00Z"));
  EXPECT_FALSE(is_date_time("2020-01-01T00:00:00.Z"));
  EXPECT_FALSE(is_date_time("2020-01-01T00:00:00+24:00"));
  EXPECT_FALSE(is_date_time("yesterday"));
}

TEST(Formats, Uri) {
  EXPECT_TRUE(is_uri("https://example.org/a/b?c=d#e"));
  EXPECT_TRUE(is_uri("https://x/\n"));
  EXPECT_TRUE(is_uri("mailto:a@b"));
  EXPECT_TRUE(is_uri("urn:x"));
  EXPECT_TRUE(is_uri("x:"));
  EXPECT_TRUE(is_uri("http://user:pw@host:8080/p?q#f"));
  EXPECT_TRUE(is_uri("http://[::1]:80/x"));
  EXPECT_TRUE(is_uri("http://[::1.2.3.4]/"));
  EXPECT_TRUE(is_uri("http://[v1.x]/"));
  EXPECT_FALSE(is_uri("build.log"));
  EXPECT_FALSE(is_uri("https://x/a b"));
  EXPECT_FALSE(is_uri("https://x/\n\n"));
  EXPECT_FALSE(is_uri("1x:y"));
  EXPECT_FALSE(is_uri("http://a%zz/"));
  EXPECT_FALSE(is_uri("http://h/\xc3\xa9"));
  EXPECT_FALSE(is_uri("http://a@b@c/"));
  EXPECT_FALSE(is_uri("http://host:80a/"));
  EXPECT_FALSE(is_uri("http://[1::2::3]/"));
  EXPECT_FALSE(is_uri("http://[1:2:3:4:5:6:7:8:9]/"));
  EXPECT_FALSE(is_uri("http://h/[x]"));
}

TEST(Formats, Email) {
  EXPECT_TRUE(is_email("a@b"));
  EXPECT_TRUE(is_email("@"));
  EXPECT_FALSE(is_email("ab"));
}

}  // namespace
}  // namespace kci::report
