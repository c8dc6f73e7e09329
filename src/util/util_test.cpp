// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gtest/gtest.h>

#include "util/sha256.h"
#include "util/subprocess.h"
#include "util/text.h"
#include "util/time.h"

namespace kci {
namespace {

TEST(Text, PercentEncodeKeepsLettersDigitsAndTheGivenCharacters) {
  EXPECT_EQ(percent_encode("a-b_c.d/e f~%\xc3\xa9", "/-_.~"), "a-b_c.d/e%20f~%25%C3%A9");
  EXPECT_EQ(percent_encode("qemu x86/64", "-_."), "qemu%20x86%2F64");
}

TEST(Sha256, KnownVector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(random_hex(16).size(), 32u);
}

TEST(Rfc3339, RoundTripAndRejects) {
  auto t = parse_rfc3339("2020-08-14T23:08:06.967000+00:00");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_rfc3339(*t), "2020-08-14T23:08:06.967000+00:00");
  auto shifted = parse_rfc3339("2020-08-15T01:08:06.967+02:00");
  ASSERT_TRUE(shifted);
  EXPECT_EQ(*shifted, *t);
  EXPECT_FALSE(parse_rfc3339("2020-08-14T23:08:06"));  // no timezone
  EXPECT_FALSE(parse_rfc3339("yesterday"));
  EXPECT_FALSE(parse_rfc3339("2020-13-14T23:08:06Z"));
}

TEST(Subprocess, CapturesOutputAndStatus) {
  RunResult r = run_process({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  RunOptions feed;
  feed.stdin_data = "hello\n";
  EXPECT_EQ(run_checked({"cat"}, feed), "hello");
}

TEST(Subprocess, TimeoutKillsTheWholeGroup) {
  RunOptions o;
  o.timeout = std::chrono::milliseconds(300);
  RunResult r = run_process({"sh", "-c", "sleep 30 & sleep 30"}, o);
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(r.elapsed.count(), 5000);
}

TEST(Subprocess, OnOutputCanStop) {
  RunOptions o;
  o.on_output = [](std::string_view chunk) { return chunk.find("STOP") == std::string_view::npos; };
  RunResult r = run_process({"sh", "-c", "echo STOP; sleep 30"}, o);
  EXPECT_TRUE(r.stopped);
  EXPECT_FALSE(r.ok());
}

TEST(Subprocess, MissingProgramIsSpawnError) {
  EXPECT_THROW(run_process({"kci-no-such-program"}), SpawnError);
}

}  // namespace
}  // namespace kci
