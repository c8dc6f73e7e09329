// SPDX-License-Identifier: LGPL-2.1-or-later
#include "report/model.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "report/dedup.h"

namespace kci::report {
namespace {

json::Document parse(const char* text) {
  json::Document d;
  d.Parse(text);
  EXPECT_FALSE(d.HasParseError());
  return d;
}

TEST(Model, ConvertsEveryKindAndBack) {
  json::Document in = parse(R"({"version": {"major": 5, "minor": 3},
    "checkouts": [{"id": "o:c", "origin": "o", "valid": true, "git_commit_tags": ["a", "b"],
                   "misc": {"x": [1, null]}, "_timestamp": "2020-01-01T00:00:00+00:00"}],
    "tests": [{"id": "o:t", "origin": "o", "build_id": "o:b", "duration": 1.5,
               "environment": {"comment": "e", "compatible": ["x,y"]},
               "number": {"value": 2, "prefix": "metric"}}],
    "issues": [{"id": "o:i", "version": 3, "origin": "o", "culprit": {"tool": false}}]})");
  Report r = from_json(in);
  ASSERT_EQ(r.checkouts.size(), 1u);
  EXPECT_EQ(*r.checkouts[0].valid, true);
  EXPECT_EQ(*r.checkouts[0].misc, R"({"x":[1,null]})");
  EXPECT_EQ(r.checkouts[0].git_commit_tags->size(), 2u);
  EXPECT_EQ(*r.tests[0].environment_comment, "e");
  EXPECT_EQ(*r.tests[0].number_value, 2.0);
  EXPECT_EQ(*r.issues[0].version, 3);
  EXPECT_EQ(*r.issues[0].culprit_tool, false);
  EXPECT_FALSE(r.issues[0].culprit_code);

  json::Document out;
  to_json(r, out, true);
  EXPECT_TRUE(out == in) << json::write(out);
  to_json(r, out, false);
  EXPECT_FALSE(out["checkouts"][0].HasMember("_timestamp"));
}

TEST(Model, RejectsWhatItCannotHold) {
  EXPECT_THROW(from_json(parse(R"({"version": {"major": 4}})")), ModelError);
  EXPECT_THROW(from_json(parse(R"({"version": {"major": 5}, "checkouts": [{"id": "o:c",
      "origin": "o", "unknown": 1}]})")),
               ModelError);
  EXPECT_THROW(from_json(parse(R"({"version": {"major": 5}, "tests": [{"id": "o:t",
      "origin": "o", "build_id": "o:b", "environment": {"bogus": 1}}]})")),
               ModelError);
  try {
    from_json(parse(R"({"version": {"major": 5}, "builds": [{"id": 1}]})"));
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("/builds/0/id"), std::string::npos) << e.what();
  }
}

TEST(Model, TextArrayJsonRoundTrips) {
  std::vector<std::string> items = {"a", "with \"quote\"", "back\\slash", ""};
  EXPECT_EQ(parse_text_array(text_array_json(items)), items);
  EXPECT_THROW(parse_text_array("[1]"), ModelError);
}

TEST(Dedup, MergesPerFieldLaterWins) {
  Report r;
  report::Test a, b, c;
  a.id = b.id = "o:t";
  c.id = "o:other";
  a.origin = b.origin = c.origin = "o";
  a.status = "FAIL";
  a.environment_comment = "board";
  a.misc = R"({"a":1})";
  b.status = "PASS";
  b.environment_compatible = std::vector<std::string>{"x,y"};
  b.misc = R"({"b":2})";
  r.tests = {a, c, b};
  EXPECT_EQ(dedup(r), 1u);
  ASSERT_EQ(r.tests.size(), 2u);
  const report::Test& m = r.tests[0];
  EXPECT_EQ(*m.id, "o:t");
  EXPECT_EQ(*m.status, "PASS");                // later wins
  EXPECT_EQ(*m.environment_comment, "board");  // present kept
  EXPECT_EQ(m.environment_compatible->at(0), "x,y");
  EXPECT_EQ(*m.misc, R"({"b":2})");  // replaced wholesale
  EXPECT_EQ(*r.tests[1].id, "o:other");
}

TEST(Dedup, IssuesByIdAndVersion) {
  Report r;
  Issue v1, v2, v2b;
  v1.id = v2.id = v2b.id = "o:i";
  v1.version = 1;
  v2.version = v2b.version = 2;
  v2.comment = "x";
  v2b.report_url = "https://e.com";
  r.issues = {v1, v2, v2b};
  EXPECT_EQ(dedup(r), 1u);
  ASSERT_EQ(r.issues.size(), 2u);
  EXPECT_EQ(*r.issues[1].comment, "x");
  EXPECT_EQ(*r.issues[1].report_url, "https://e.com");
}

// dedup_in_key_order merges as dedup() does, on lists small and large
// (the large one is sorted in two halves on two threads).
TEST(Dedup, InKeyOrderMergesLikeDedup) {
  for (std::size_t n : {std::size_t{7}, kParallelSortMin + 1001}) {
    std::vector<report::Test> tests;
    for (std::size_t i = 0; i < n; ++i) {
      report::Test t;
      // Ids repeat every third object, in scrambled order; fields differ.
      t.id = "o:t" + std::to_string((i * 7919) % (n / 3 + 1));
      t.origin = "o";
      if (i % 2 == 0) t.status = i % 4 == 0 ? "PASS" : "FAIL";
      if (i % 5 == 0) t.comment = "c" + std::to_string(i);
      tests.push_back(t);
    }
    Report r;
    r.tests = tests;
    dedup(r);
    std::vector<report::Test> list = tests;
    std::vector<std::size_t> order = dedup_in_key_order(list);
    ASSERT_EQ(order.size(), r.tests.size()) << n;
    std::sort(r.tests.begin(), r.tests.end(),
              [](const report::Test& a, const report::Test& b) { return key_less(a, b); });
    for (std::size_t k = 0; k < order.size(); ++k) {
      const report::Test& got = list[order[k]];
      const report::Test& want = r.tests[k];
      ASSERT_EQ(got.id, want.id) << n << " " << k;
      EXPECT_EQ(got.status, want.status) << *want.id;
      EXPECT_EQ(got.comment, want.comment) << *want.id;
      if (k > 0) {
        EXPECT_TRUE(key_less(list[order[k - 1]], got));
      }
    }
  }
}

}  // namespace
}  // namespace kci::report
