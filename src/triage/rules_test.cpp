// SPDX-License-Identifier: LGPL-2.1-or-later
#include "triage/rules.h"

#include <gtest/gtest.h>

#include "triage/pattern_set.h"

namespace kci::triage {
namespace {

TEST(Rules, ParsesAFile) {
  RuleSet set = parse_rules(R"(issues:
  - id: kci:rule:qemu-arm64-rcu-stall
    version: 2
    report_subject: RCU stall in QEMU arm64 under TCG
    culprit: harness
    match:
      test_path: "baseline.*"
      architecture: [arm64]
      status: [FAIL, ERROR]
      log: ["rcu: INFO: rcu_(sched|preempt) detected stalls"]
  - id: kci:rule:gcc-13-false-positive
    culprit: [tool]
    match:
      compiler: "gcc-13*"
      log_excerpt: "array subscript .* is above array bounds"
)",
                            "rules.yaml");
  ASSERT_EQ(set.rules.size(), 2u);
  const auto& r = set.rules[0];
  EXPECT_EQ(r.version, 2);
  EXPECT_TRUE(r.culprit_harness);
  EXPECT_FALSE(r.culprit_code);
  EXPECT_EQ(r.match.architecture, std::vector<std::string>{"arm64"});
  EXPECT_EQ(r.source_line, 2u);
  EXPECT_EQ(set.rules[1].version, 1);
  EXPECT_EQ(set.rules[1].report_subject, "kci:rule:gcc-13-false-positive");
  EXPECT_EQ(set.rules[1].match.log_excerpt.size(), 1u);
}

void expect_error(const std::string& yaml, const std::string& part) {
  try {
    parse_rules(yaml, "r.yaml");
    ADD_FAILURE() << "accepted: " << yaml;
  } catch (const InvalidInputError& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(Rules, ErrorsNameFileAndLine) {
  expect_error("issues:\n  - id: kci:a\n    match:\n      log: ['(unclosed']\n",
               "r.yaml:4: log: invalid regex");
  expect_error("issues:\n  - id: kci:a\n    culprit: kernel\n", "r.yaml:3: culprit");
  expect_error("issues:\n  - id: kci:a\n    colour: red\n", "r.yaml:3: unknown key 'colour'");
  expect_error("issues:\n  - id: kci:a\n  - id: kci:a\n", "duplicate issue id 'kci:a'");
  expect_error("issues:\n  - version: 1\n", "needs an 'id'");
  expect_error("issues:\n  - id: kci:a\n    match:\n      status: [BROKEN]\n",
               "not a KCIDB status");
  expect_error("issues: [\n", "r.yaml:");
  // A file without rules is refused (issue 18): a wrong or emptied file.
  expect_error("", "r.yaml: no rules (an empty file");
  expect_error("# nothing yet\n", "r.yaml: no rules (an empty file");
  expect_error("issues:\n", "r.yaml:1: no rules (the 'issues' list is empty)");
  expect_error("\nissues: []\n", "r.yaml:2: no rules (the 'issues' list is empty)");
  expect_error("{}\n", "r.yaml: no rules (no 'issues' list)");
  // A mapping where a key belongs (found by fuzzing: yaml-cpp's conversion
  // exception escaped and ended the process).
  expect_error("? {a: b}\n: x\n", "r.yaml:1:");
  expect_error("issues:\n  - ? [id]\n    : a\n", "r.yaml:2:");
  // The id and origin are a KCIDB issue's: triage would store what the
  // schema refuses, and every dump of the store would be invalid.
  expect_error("issues:\n  - id: no colon\n", "r.yaml:2: id: 'no colon' is not a KCIDB id");
  expect_error("issues:\n  - id: kci:a\n    origin: Lab-1\n",
               "r.yaml:3: origin: 'Lab-1' is not a KCIDB origin");
  expect_error("issues:\n  - id: kci:a\n    id: kci:b\n", "r.yaml:3: duplicate key 'id'");
}

TEST(Rules, Globs) {
  EXPECT_TRUE(glob_match("baseline.*", "baseline.dmesg.crit"));
  EXPECT_FALSE(glob_match("baseline.*", "kselftest.net"));
  EXPECT_TRUE(glob_match("gcc-1[23]", "gcc-12"));
  EXPECT_FALSE(glob_match("gcc-1[!23]", "gcc-12"));
  EXPECT_TRUE(glob_match("*x86*", "qemu-x86_64"));
  EXPECT_TRUE(glob_match("a?c", "abc"));
  EXPECT_FALSE(glob_match("a?c", "ac"));
}

TEST(Rules, FiltersAccept) {
  RuleFilters f;
  f.test_path = {"baseline.*"};
  f.architecture = {"arm64"};
  ResultFacts t;
  t.is_test = true;
  t.path = "baseline.login";
  t.architecture = "arm64";
  EXPECT_TRUE(filters_accept(f, t));
  t.architecture = "x86_64";
  EXPECT_FALSE(filters_accept(f, t));
  ResultFacts b;
  b.architecture = "arm64";
  EXPECT_FALSE(filters_accept(f, b)) << "a test_path rule never matches a build";
}

TEST(PatternSet, OneAutomatonManyPatterns) {
  PatternSet set(
      {"usb_[0-9]+: timeout", "^Kernel panic - not syncing", "e1000: eth[0-9] NIC Link"});
  EXPECT_EQ(set.match("boot\n[ 1.0] usb_3: timeout waiting\nKernel panic - not syncing: x\n"),
            (std::vector<std::uint32_t>{0, 1}));
  EXPECT_TRUE(set.match("a Kernel panic - not syncing\n").empty()) << "^ is a line start";
  // Streaming: a match split across chunks is found.
  PatternSet::Scanner s(set);
  s.feed("xx e1000: et");
  s.feed("h0 NIC Link is Up\n");
  EXPECT_EQ(s.finish(), std::vector<std::uint32_t>{2});
  EXPECT_TRUE(PatternSet({}).match("anything").empty());
  EXPECT_THROW(PatternSet({"ok", "(bad"}), InvalidInputError);
}

}  // namespace
}  // namespace kci::triage
