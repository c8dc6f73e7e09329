// SPDX-License-Identifier: LGPL-2.1-or-later
// The store's behaviour, run against both drivers: SQLite (a file per test)
// and PostgreSQL (a database per test in the throw-away cluster).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "report/dedup.h"
#include "report/upgrade.h"
#include "report/validate.h"
#include "store/pg_test_cluster.h"
#include "store/schema.h"
#include "store/store.h"
#include "store/timestamp.h"
#include "util/test_support.h"

namespace kci::store {
namespace {

using report::Report;

json::Document parse(const std::string& text) {
  json::Document d;
  d.Parse(text.c_str());
  EXPECT_FALSE(d.HasParseError()) << text;
  return d;
}

std::string shared_dir() { return KCI_SOURCE_DIR "/../shared/kcidb-samples"; }

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A report as a JSON document with every list sorted by identity, for
// comparisons that ignore object order (member order is ignored by
// RapidJSON's ==, so JSONB's key reordering does not matter either).
json::Document canonical(Report r, bool with_metadata = false) {
  Report::each_list(r, [](auto& list) {
    std::sort(list.begin(), list.end(),
              [](const auto& a, const auto& b) { return report::key_of(a) < report::key_of(b); });
  });
  json::Document doc;
  report::to_json(r, doc, with_metadata);
  return doc;
}

class StoreTest : public ::testing::TestWithParam<Driver> {
 protected:
  void SetUp() override {
    if (GetParam() == Driver::kPostgresql) {
      auto* cluster = testing::PgTestCluster::get();
      if (!cluster) {
        KCI_MISSING_REAL_PART("no PostgreSQL: " << testing::PgTestCluster::skip_reason());
      }
      spec_ = cluster->create_database();
    } else {
      char tmpl[] = "/tmp/kci-store-test-XXXXXX";
      ASSERT_NE(mkdtemp(tmpl), nullptr);
      dir_ = tmpl;
      spec_ = "sqlite:" + dir_ + "/test.db";
    }
    store_ = open_store(spec_);
    store_->init();
  }
  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  void load(const std::string& text, LoadOptions o = {}) { store_->load(parse(text), o); }
  Report dump(bool meta = false) {
    Report all;
    store_->dump({}, meta, 0, [&](Report& r) { all = std::move(r); });
    return all;
  }
  // Compares the dump with an expected report given as JSON.
  void expect_dump(const std::string& expected_json) {
    json::Document have = canonical(dump());
    json::Document want_doc = canonical(report::from_json(parse(expected_json)));
    EXPECT_TRUE(have == want_doc) << "have: " << json::write(have)
                                  << "\nwant: " << json::write(want_doc);
  }

  std::string dir_;
  std::string spec_;
  std::unique_ptr<Store> store_;
};

constexpr const char* kV53 = R"("version": {"major": 5, "minor": 3})";

std::string report_of(const std::string& lists) {
  return std::string("{") + kV53 + "," + lists + "}";
}

TEST_P(StoreTest, InitRecordsSchemaVersion) {
  EXPECT_TRUE(store_->initialized());
  SchemaInfo info = store_->schema_info();
  EXPECT_EQ(info.store_version, store_migrations().back().version);
  EXPECT_EQ(info.io_version, "5.3");
  store_->init(true);  // idempotent
  EXPECT_THROW(store_->init(false), StoreError);
}

TEST_P(StoreTest, EmptyDatabaseDumpsEmptyReport) {
  Report r = dump();
  EXPECT_TRUE(r.empty());
}

TEST_P(StoreTest, NotInitializedIsAnActionableError) {
  store_->cleanup();
  EXPECT_FALSE(store_->initialized());
  auto fresh = open_store(spec_);
  try {
    fresh->load(parse(report_of(R"("checkouts": [{"id": "o:1", "origin": "o"}])")));
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("kci db init"), std::string::npos) << e.what();
  }
}

TEST_P(StoreTest, RoundTripsEveryField) {
  const std::string all = report_of(R"(
    "checkouts": [{"id": "o:c1", "origin": "o", "tree_name": "mainline",
      "git_repository_url": "https://example.com/linux.git",
      "git_commit_hash": "ef2b753c38bc9c0d1eea84e29a6bb6f9e776d0e3", "git_commit_name": "v5.8",
      "git_commit_tags": ["v5.8", "with \"quote\" and \\ and {brace},comma"],
      "git_commit_message": "Linux 5.8\n\ttabbed", "git_repository_branch": "master",
      "git_repository_branch_tip": true,
      "patchset_files": [{"name": "0001.patch", "url": "https://example.com/0001.patch"}],
      "patchset_hash": "", "message_id": "a@b.c", "comment": "ünïcode ✓",
      "start_time": "2020-08-14T23:08:06.967000+00:00",
      "origin_builds_finish_time": "2020-08-15T01:00:00.000000+00:00",
      "origin_tests_finish_time": "2020-08-15T02:00:00.000001+00:00",
      "log_url": "https://example.com/log", "log_excerpt": "line1\nline2\r\n",
      "valid": false, "misc": {"a": [1, 2.5, null, {"b": "c"}], "d": true}}],
    "builds": [{"id": "o:b1", "origin": "o", "checkout_id": "o:c1", "comment": "c",
      "start_time": "2020-08-14T23:08:06.000000+00:00", "duration": 600.25,
      "architecture": "x86_64", "command": "make", "compiler": "gcc",
      "input_files": [], "output_files": [{"name": "x", "url": "https://e.com/x"}],
      "config_name": "defconfig", "config_url": "https://e.com/config",
      "log_url": "https://e.com/build.log", "log_excerpt": "err", "status": "FAIL",
      "misc": {}}],
    "tests": [{"id": "o:t1", "origin": "o", "build_id": "o:b1",
      "environment": {"comment": "board", "misc": {"x": 1}, "compatible": ["ti,omap3"]},
      "path": "ltp.syscalls", "comment": "t", "log_url": "https://e.com/t.log",
      "log_excerpt": "BUG", "status": "PASS",
      "number": {"value": 1.6e-07, "unit": "s", "prefix": "binary"},
      "start_time": "2020-08-14T23:08:07.967000+00:00", "duration": 1.5,
      "input_files": [{"name": "rootfs", "url": "https://e.com/rootfs"}],
      "output_files": [], "misc": {"k": "v"}}],
    "issues": [{"id": "o:i1", "version": 2, "origin": "o", "report_url": "https://e.com/bug",
      "report_subject": "s", "culprit": {"code": true, "tool": false, "harness": false},
      "categories": ["a.b", "c"], "comment": "c", "misc": {"n": -3}}],
    "incidents": [{"id": "o:n1", "origin": "o", "issue_id": "o:i1", "issue_version": 2,
      "build_id": "o:b1", "test_id": "o:t1", "present": false, "comment": "c",
      "misc": {"m": 1}}])");
  load(all);
  expect_dump(all);
}

TEST_P(StoreTest, TimestampsAreNormalizedToUtc) {
  load(report_of(R"("builds": [{"id": "o:b", "origin": "o", "checkout_id": "o:c",
                    "start_time": "2020-08-15T01:08:06.5+02:00"}])"));
  Report r = dump();
  ASSERT_EQ(r.builds.size(), 1u);
  EXPECT_EQ(*r.builds[0].start_time, "2020-08-14T23:08:06.500000+00:00");
}

TEST_P(StoreTest, MergesPartsOverLoads) {
  load(report_of(R"("tests": [{"id": "o:t", "origin": "o", "build_id": "o:b",
                    "environment": {"comment": "board"}}])"));
  load(report_of(R"("tests": [{"id": "o:t", "origin": "o", "build_id": "o:b", "status": "FAIL",
                    "environment": {"compatible": ["a,b"]}}])"));
  load(report_of(R"("tests": [{"id": "o:t", "origin": "o", "build_id": "o:b",
                    "number": {"value": 3}, "misc": {"x": 1}}])"));
  expect_dump(report_of(R"("tests": [{"id": "o:t", "origin": "o", "build_id": "o:b",
      "status": "FAIL", "environment": {"comment": "board", "compatible": ["a,b"]},
      "number": {"value": 3}, "misc": {"x": 1}}])"));
}

TEST_P(StoreTest, NewerLoadWinsPerColumn) {
  load(report_of(R"("builds": [{"id": "o:b", "origin": "o", "checkout_id": "o:c",
                    "status": "FAIL", "misc": {"a": 1, "b": 2}, "comment": "old"}])"));
  load(report_of(R"("builds": [{"id": "o:b", "origin": "o", "checkout_id": "o:c2",
                    "status": "PASS", "misc": {"a": 3}}])"));
  // misc is replaced wholesale, comment kept, status and checkout_id updated.
  expect_dump(report_of(R"("builds": [{"id": "o:b", "origin": "o", "checkout_id": "o:c2",
      "status": "PASS", "misc": {"a": 3}, "comment": "old"}])"));
}

// Re-loads of many objects (more than one statement's worth) where most are
// stored already, some move to another parent and some are new: every
// object is merged by the same rules, and parent-id queries follow moves.
TEST_P(StoreTest, ReloadMixesStoredMovedAndNewObjects) {
  auto test_id = [](int i) { return "o:t" + std::to_string(100 + i); };
  std::string first, second;
  for (int i = 0; i < 90; ++i) {
    first += std::string(i ? "," : "") + R"({"id": ")" + test_id(i) +
             R"(", "origin": "o", "build_id": "o:b1", "comment": "c)" + std::to_string(i) +
             R"(", "status": "FAIL"})";
  }
  for (int i = 0; i < 110; ++i) {
    // Every third object moves to o:b2; 90..109 are new; status changes.
    std::string build = i % 3 == 0 ? "o:b2" : "o:b1";
    second += std::string(i ? "," : "") + R"({"id": ")" + test_id(i) +
              R"(", "origin": "o", "build_id": ")" + build + R"(", "status": "PASS"})";
  }
  load(report_of(R"("builds": [{"id": "o:b1", "origin": "o", "checkout_id": "o:c"},
                               {"id": "o:b2", "origin": "o", "checkout_id": "o:c"}],
                    "tests": [)" +
                 first + "]"));
  load(report_of(R"("tests": [)" + second + "]"));
  Report all = dump();
  ASSERT_EQ(all.tests.size(), 110u);
  std::sort(all.tests.begin(), all.tests.end(),
            [](const auto& a, const auto& b) { return *a.id < *b.id; });
  for (int i = 0; i < 110; ++i) {
    const report::Test& t = all.tests[static_cast<std::size_t>(i)];
    ASSERT_EQ(*t.id, test_id(i));
    EXPECT_EQ(*t.build_id, i % 3 == 0 ? "o:b2" : "o:b1") << *t.id;
    EXPECT_EQ(*t.status, "PASS") << *t.id;
    if (i < 90) {
      EXPECT_EQ(t.comment.value_or(""), "c" + std::to_string(i)) << *t.id;
    } else {
      EXPECT_FALSE(t.comment) << *t.id;
    }
  }
  QueryIds b2;
  b2.builds = {"o:b2"};
  Report children = store_->query(b2, {true, false, false});
  EXPECT_EQ(children.tests.size(), 37u);  // 0, 3, ..., 108
  QueryIds b1;
  b1.builds = {"o:b1"};
  EXPECT_EQ(store_->query(b1, {true, false, false}).tests.size(), 73u);
}

// One stored object among many new ones, where a loader that checks a
// sample of the ids for stored ones (PostgreSQL's, before it COPies new rows
// straight into the table) does not look: it is still merged, not
// duplicated or refused, and the new objects are all stored.
TEST_P(StoreTest, StoredIdAmongNewOnesIsMerged) {
  auto test_id = [](int i) { return "o:t" + std::to_string(1000 + i); };
  load(report_of(R"("tests": [{"id": ")" + test_id(1) +
                 R"(", "origin": "o", "build_id": "o:b", "comment": "kept"}])"));
  std::string tests;
  for (int i = 0; i < 100; ++i) {
    tests += std::string(i ? "," : "") + R"({"id": ")" + test_id(i) +
             R"(", "origin": "o", "build_id": "o:b", "status": "PASS"})";
  }
  load(report_of(R"("tests": [)" + tests + "]"));
  Report r = dump();
  ASSERT_EQ(r.tests.size(), 100u);
  for (const auto& t : r.tests) {
    EXPECT_EQ(t.status.value_or(""), "PASS") << *t.id;
    EXPECT_EQ(t.comment.value_or(""), *t.id == test_id(1) ? "kept" : "") << *t.id;
  }
}

TEST_P(StoreTest, IssuesMergeByIdAndVersion) {
  load(report_of(R"("issues": [{"id": "o:i", "version": 1, "origin": "o", "comment": "v1"},
                               {"id": "o:i", "version": 2, "origin": "o", "comment": "v2"}])"));
  load(report_of(R"("issues": [{"id": "o:i", "version": 2, "origin": "o",
                                "culprit": {"code": true}}])"));
  expect_dump(report_of(R"("issues": [
      {"id": "o:i", "version": 1, "origin": "o", "comment": "v1"},
      {"id": "o:i", "version": 2, "origin": "o", "comment": "v2", "culprit": {"code": true}}])"));
}

TEST_P(StoreTest, DuplicatesInOneReportMergeLaterWins) {
  load(report_of(R"("checkouts": [
      {"id": "o:c", "origin": "o", "comment": "first", "tree_name": "t"},
      {"id": "o:c", "origin": "o", "comment": "second", "valid": true}])"));
  expect_dump(report_of(R"("checkouts": [
      {"id": "o:c", "origin": "o", "comment": "second", "tree_name": "t", "valid": true}])"));
}

TEST_P(StoreTest, DanglingReferencesAreStored) {
  load(report_of(R"("incidents": [{"id": "o:n", "origin": "o", "issue_id": "o:missing",
                    "issue_version": 7, "test_id": "o:nowhere"}])"));
  EXPECT_EQ(dump().incidents.size(), 1u);
}

TEST_P(StoreTest, TimestampIsLoadTimeUnlessWithMetadata) {
  std::string before = now_timestamp();
  load(report_of(R"("checkouts": [{"id": "o:a", "origin": "o",
                    "_timestamp": "2001-01-01T00:00:00+00:00"}])"));
  load(report_of(R"("checkouts": [{"id": "o:b", "origin": "o",
                    "_timestamp": "2001-01-01T00:00:00+00:00"}])"),
       LoadOptions{true});
  Report r = dump(true);
  ASSERT_EQ(r.checkouts.size(), 2u);
  for (const auto& c : r.checkouts) {
    ASSERT_TRUE(c.timestamp);
    if (*c.id == "o:a") {
      // Clocks of client (SQLite) or server (PostgreSQL): allow slack.
      EXPECT_GE(*c.timestamp, before.substr(0, 16)) << *c.timestamp;
    } else {
      EXPECT_EQ(*c.timestamp, "2001-01-01T00:00:00.000000+00:00");
    }
  }
  // Without metadata no _timestamp is returned.
  for (const auto& c : dump(false).checkouts) EXPECT_FALSE(c.timestamp);
}

TEST_P(StoreTest, DumpWindowAndSplit) {
  load(report_of(R"("checkouts": [
      {"id": "o:1", "origin": "o", "_timestamp": "2020-01-01T00:00:00+00:00"},
      {"id": "o:2", "origin": "o", "_timestamp": "2020-02-01T00:00:00+00:00"},
      {"id": "o:3", "origin": "o", "_timestamp": "2020-03-01T00:00:00+00:00"}],
      "builds": [{"id": "o:b", "origin": "o", "checkout_id": "o:2",
                  "_timestamp": "2020-02-01T00:00:00+00:00"}])"),
       LoadOptions{true});
  Selection window;
  window.after = "2020-01-01T00:00:00+00:00";
  window.until = "2020-02-01T01:00:00+01:00";  // = 2020-02-01T00:00Z, inclusive
  std::vector<std::size_t> sizes;
  store_->dump(window, true, 0, [&](Report& r) { sizes.push_back(r.size()); });
  EXPECT_EQ(sizes, (std::vector<std::size_t>{2}));
  sizes.clear();
  store_->dump({}, false, 3, [&](Report& r) { sizes.push_back(r.size()); });
  EXPECT_EQ(sizes, (std::vector<std::size_t>{3, 1}));
}

TEST_P(StoreTest, PurgeDeletesOlderObjects) {
  load(report_of(R"("checkouts": [
      {"id": "o:old", "origin": "o", "_timestamp": "2020-01-01T00:00:00+00:00"},
      {"id": "o:new", "origin": "o", "_timestamp": "2024-01-01T00:00:00+00:00"}])"),
       LoadOptions{true});
  EXPECT_EQ(store_->purge("2022-01-01T00:00:00Z"), 1u);
  Report r = dump();
  ASSERT_EQ(r.checkouts.size(), 1u);
  EXPECT_EQ(*r.checkouts[0].id, "o:new");
}

TEST_P(StoreTest, EmptyKeepsSchemaCleanupDropsIt) {
  load(report_of(R"("checkouts": [{"id": "o:1", "origin": "o"}])"));
  store_->empty();
  EXPECT_TRUE(dump().empty());
  EXPECT_TRUE(store_->initialized());
  store_->cleanup();
  EXPECT_FALSE(store_->initialized());
  store_->init();
  EXPECT_TRUE(dump().empty());
}

TEST_P(StoreTest, LoadIsAllOrNothing) {
  load(report_of(R"("checkouts": [{"id": "o:keep", "origin": "o", "comment": "kept"}])"));
  // The second test has a timestamp no database accepts: the whole report,
  // including the objects before it, must be rejected.
  EXPECT_THROW(load(report_of(R"(
      "checkouts": [{"id": "o:keep", "origin": "o", "comment": "changed"},
                    {"id": "o:new", "origin": "o"}],
      "tests": [{"id": "o:t1", "origin": "o", "build_id": "o:b"},
                {"id": "o:t2", "origin": "o", "build_id": "o:b", "start_time": "yesterday"}])")),
               Error);
  expect_dump(report_of(R"("checkouts": [{"id": "o:keep", "origin": "o", "comment": "kept"}])"));
  // And the store still works afterwards.
  load(report_of(R"("checkouts": [{"id": "o:new", "origin": "o"}])"));
  EXPECT_EQ(dump().checkouts.size(), 2u);
}

// checkout c1 -> builds b1, b2; b1 -> tests t1, t2; t1 -> incident n1 (issue i1 v1);
// b2 -> incident n2 (issue i1 v2); checkout c2 unrelated.
const std::string kGraph = report_of(R"(
  "checkouts": [{"id": "o:c1", "origin": "o"}, {"id": "o:c2", "origin": "o"}],
  "builds": [{"id": "o:b1", "origin": "o", "checkout_id": "o:c1"},
             {"id": "o:b2", "origin": "o", "checkout_id": "o:c1"},
             {"id": "o:b3", "origin": "o", "checkout_id": "o:c2"}],
  "tests": [{"id": "o:t1", "origin": "o", "build_id": "o:b1"},
            {"id": "o:t2", "origin": "o", "build_id": "o:b1"},
            {"id": "o:t3", "origin": "o", "build_id": "o:b3"}],
  "issues": [{"id": "o:i1", "version": 1, "origin": "o"}, {"id": "o:i1", "version": 2, "origin": "o"}],
  "incidents": [{"id": "o:n1", "origin": "o", "issue_id": "o:i1", "issue_version": 1, "test_id": "o:t1"},
                {"id": "o:n2", "origin": "o", "issue_id": "o:i1", "issue_version": 2, "build_id": "o:b2"}])");

std::vector<std::string> ids_of(const Report& r) {
  std::vector<std::string> out;
  Report::each_list(r, [&](const auto& list) {
    for (const auto& o : list) {
      std::string id = *o.id;
      if constexpr (std::is_same_v<std::decay_t<decltype(o)>, report::Issue>) {
        id += "v" + std::to_string(*o.version);
      }
      out.push_back(id);
    }
  });
  std::sort(out.begin(), out.end());
  return out;
}

using Ids = std::vector<std::string>;

TEST_P(StoreTest, QueryByIdsOnly) {
  load(kGraph);
  QueryIds ids;
  ids.builds = {"o:b1", "o:nope"};
  ids.issues = {{"o:i1", 2}};
  EXPECT_EQ(ids_of(store_->query(ids, {})), (Ids{"o:b1", "o:i1v2"}));
}

TEST_P(StoreTest, QueryChildren) {
  load(kGraph);
  QueryIds ids;
  ids.checkouts = {"o:c1"};
  EXPECT_EQ(ids_of(store_->query(ids, {true, false, false})),
            (Ids{"o:b1", "o:b2", "o:c1", "o:n1", "o:n2", "o:t1", "o:t2"}));
  QueryIds issue;
  issue.issues = {{"o:i1", 1}};
  EXPECT_EQ(ids_of(store_->query(issue, {true, false, false})), (Ids{"o:i1v1", "o:n1"}));
}

TEST_P(StoreTest, QueryParents) {
  load(kGraph);
  QueryIds ids;
  ids.incidents = {"o:n1"};
  EXPECT_EQ(ids_of(store_->query(ids, {false, true, false})),
            (Ids{"o:b1", "o:c1", "o:i1v1", "o:n1", "o:t1"}));
  QueryIds test;
  test.tests = {"o:t3"};
  EXPECT_EQ(ids_of(store_->query(test, {false, true, false})), (Ids{"o:b3", "o:c2", "o:t3"}));
}

TEST_P(StoreTest, QueryChildrenAndParents) {
  load(kGraph);
  QueryIds ids;
  ids.builds = {"o:b2"};
  EXPECT_EQ(ids_of(store_->query(ids, {true, true, false})),
            (Ids{"o:b2", "o:c1", "o:i1v2", "o:n2"}));
}

// A graph large enough that the query's steps have many values: 3
// checkouts, 60 builds, 600 tests, an incident on every third test and on
// every fifth build, under 2 issues.
Report wide_graph() {
  Report r;
  for (int c = 0; c < 3; ++c) {
    auto& co = r.checkouts.emplace_back();
    co.id = "o:c" + std::to_string(c);
    co.origin = "o";
  }
  for (int i = 0; i < 2; ++i) {
    auto& is = r.issues.emplace_back();
    is.id = "o:i" + std::to_string(i);
    is.version = 1;
    is.origin = "o";
  }
  int incident = 0;
  auto add_incident = [&](const std::string* build, const std::string* test) {
    auto& n = r.incidents.emplace_back();
    n.id = "o:n" + std::to_string(incident);
    n.origin = "o";
    n.issue_id = "o:i" + std::to_string(incident % 2);
    n.issue_version = 1;
    if (build) n.build_id = *build;
    if (test) n.test_id = *test;
    ++incident;
  };
  for (int b = 0; b < 60; ++b) {
    std::string build = "o:b" + std::to_string(b);
    auto& bu = r.builds.emplace_back();
    bu.id = build;
    bu.origin = "o";
    bu.checkout_id = "o:c" + std::to_string(b % 3);
    if (b % 5 == 0) add_incident(&build, nullptr);
    for (int t = 0; t < 10; ++t) {
      std::string test = build + "t" + std::to_string(t);
      auto& te = r.tests.emplace_back();
      te.id = test;
      te.origin = "o";
      te.build_id = build;
      te.path = "boot.t" + std::to_string(t);
      if ((b * 10 + t) % 3 == 0) add_incident(nullptr, &test);
    }
  }
  return r;
}

// Large steps are read in two halves on two connections (QueryOptions::
// split_min_values): the same objects as on one connection, each once, also
// when an earlier step collected some of them already.
TEST_P(StoreTest, SplitQueryReadsWhatOneConnectionReads) {
  store_->load(wide_graph());
  QueryIds ids;
  ids.checkouts = {"o:c0", "o:c2"};
  ids.tests = {"o:b1t1", "o:b3t4"};  // also reached through their builds
  ids.incidents = {"o:n4"};
  for (bool parents : {false, true}) {
    QueryOptions one;
    one.children = true;
    one.parents = parents;
    one.split_min_values = 0;
    QueryOptions split = one;
    split.split_min_values = 2;
    Report a = store_->query(ids, one);
    Report b = store_->query(ids, split);
    EXPECT_EQ(ids_of(a), ids_of(b));
    EXPECT_TRUE(canonical(a) == canonical(b));
    // c0 and c2 with their 40 builds and 400 tests (b3t4 among them), and
    // b1t1; with parents also b1t1's build and checkout (c1).
    EXPECT_EQ(a.builds.size(), parents ? 41u : 40u);
    EXPECT_EQ(a.tests.size(), 401u);
    EXPECT_EQ(a.checkouts.size(), parents ? 3u : 2u);
    std::vector<std::string> all = ids_of(b);
    EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "an object twice";
  }
}

TEST_P(StoreTest, ComponentsKeepOwnMigrations) {
  std::vector<Migration> tokens = {
      {1, "tokens table", "CREATE TABLE kci_tokens (hash TEXT PRIMARY KEY)",
       "CREATE TABLE kci_tokens (hash TEXT PRIMARY KEY)"},
      {2, "tokens: scope", "ALTER TABLE kci_tokens ADD COLUMN scope TEXT",
       "ALTER TABLE kci_tokens ADD COLUMN scope TEXT"}};
  EXPECT_EQ(store_->component_version("tokens"), 0);
  std::vector<Migration> first(tokens.begin(), tokens.begin() + 1);
  EXPECT_EQ(store_->apply_migrations("tokens", first), 1);
  EXPECT_EQ(store_->apply_migrations("tokens", tokens), 2);
  EXPECT_EQ(store_->apply_migrations("tokens", tokens), 2);
  EXPECT_EQ(store_->component_version("tokens"), 2);
  EXPECT_THROW(store_->apply_migrations("tokens", first), StoreError);
}

// COMPREHENSIVE_IO_DATA of kcidb's tests: every v5.3 field; loads and
// dumps unchanged.
TEST_P(StoreTest, ComprehensiveSampleRoundTrips) {
  std::string path = shared_dir() + "/kcidb-test_db-COMPREHENSIVE_IO_DATA.v05_03.json";
  if (!std::filesystem::exists(path))
    KCI_MISSING_REAL_PART("shared sample data not found: " << path);
  std::string text = read_text(path);
  load(text);
  expect_dump(text);
}

// The v5.3 CKI sample (4,694 objects): loads, reloads (merge path) and
// dumps the same objects.
TEST_P(StoreTest, CkiSampleLoadsAndReloads) {
  std::string path = shared_dir() + "/kcidb-2019-cki.v05_03-derived.json";
  if (!std::filesystem::exists(path))
    KCI_MISSING_REAL_PART("shared sample data not found: " << path);
  std::string text = read_text(path);
  load(text);
  load(text);
  Report want = report::from_json(parse(text));
  report::dedup(want);
  Report got = dump();
  EXPECT_EQ(got.size(), want.size());
  EXPECT_TRUE(canonical(got) == canonical(want));
}

// Two writers load the same ids at once, each with other fields and in
// opposite input order: no deadlock, no lost field.
TEST_P(StoreTest, ConcurrentWritersLoseNothing) {
  constexpr int kObjects = 2000;
  auto make = [](bool first) {
    Report r;
    for (int i = 0; i < kObjects; ++i) {
      report::Test t;
      t.id = "o:t" + std::to_string(i);
      t.origin = "o";
      t.build_id = "o:b" + std::to_string(i % 10);
      if (first)
        t.comment = "from writer 1";
      else
        t.path = "writer2";
      r.tests.push_back(t);
      report::Build b;
      b.id = "o:b" + std::to_string(i % 10);
      b.origin = "o";
      b.checkout_id = "o:c";
      if (first)
        b.architecture = "x86_64";
      else
        b.compiler = "gcc";
      r.builds.push_back(b);
    }
    if (!first) {
      std::reverse(r.tests.begin(), r.tests.end());
      std::reverse(r.builds.begin(), r.builds.end());
    }
    return r;
  };
  std::vector<std::string> errors(2);
  auto writer = [&](int n) {
    try {
      auto s = open_store(spec_);
      for (int round = 0; round < 5; ++round) s->load(make(n == 0));
    } catch (const std::exception& e) {
      errors[static_cast<std::size_t>(n)] = e.what();
    }
  };
  std::thread a(writer, 0), b(writer, 1);
  a.join();
  b.join();
  EXPECT_EQ(errors[0], "");
  EXPECT_EQ(errors[1], "");
  Report r = dump();
  ASSERT_EQ(r.tests.size(), static_cast<std::size_t>(kObjects));
  ASSERT_EQ(r.builds.size(), 10u);
  for (const auto& t : r.tests) {
    EXPECT_EQ(t.comment.value_or(""), "from writer 1");
    EXPECT_EQ(t.path.value_or(""), "writer2");
  }
  for (const auto& bld : r.builds) {
    EXPECT_EQ(bld.architecture.value_or(""), "x86_64");
    EXPECT_EQ(bld.compiler.value_or(""), "gcc");
  }
}

// kcidb's test_upgrade() golden data: each io report, upgraded to v5.3 and
// loaded, gives the stored rows of the matching .oo.json (its ORM rows:
// "revision" rows are checkouts grouped by commit and patchset,
// "issue_version" rows are issues, version_num is the issue's version).
class GoldenUpgrade {
 public:
  GoldenUpgrade(const Report& stored) { report::to_json(stored, doc_, true); }

  // Stored objects of a list as JSON objects with flattened column names.
  std::vector<json::Value*> rows(const char* list) {
    std::vector<json::Value*> out;
    auto it = doc_.FindMember(list);
    if (it == doc_.MemberEnd()) return out;
    for (auto& o : it->value.GetArray()) {
      flatten(o);
      out.push_back(&o);
    }
    return out;
  }

  void flatten(json::Value& o) {
    auto& alloc = doc_.GetAllocator();
    for (const char* parent : {"environment", "number", "culprit"}) {
      auto p = o.FindMember(parent);
      if (p == o.MemberEnd()) continue;
      json::Value sub;
      sub.CopyFrom(p->value, alloc);
      o.RemoveMember(parent);
      for (auto& m : sub.GetObject()) {
        std::string name = std::string(parent) + "_" + m.name.GetString();
        o.AddMember(json::Value(name.c_str(), alloc), json::Value(m.value, alloc), alloc);
      }
    }
  }

 private:
  json::Document doc_;
};

bool same_value(const std::string& column, const json::Value& want, const json::Value* have) {
  if (want.IsNull()) return have == nullptr;
  if (!have) return false;
  if (want.IsString() && have->IsString() &&
      (column.find("time") != std::string::npos || column == "_timestamp")) {
    return normalize_timestamp(json::str(want)) == normalize_timestamp(json::str(*have));
  }
  if (want.IsNumber() && have->IsNumber()) return want.GetDouble() == have->GetDouble();
  return want == *have;
}

const json::Value* member(const json::Value& o, const std::string& name) {
  auto it = o.FindMember(name.c_str());
  return it == o.MemberEnd() ? nullptr : &it->value;
}

// Checks each expected row against the stored row with the same key.
void check_rows(const std::string& file, const char* oo_type, const json::Value& expected,
                std::vector<json::Value*> stored, const std::vector<std::string>& key,
                const std::map<std::string, std::string>& renames = {}) {
  SCOPED_TRACE(file + " " + oo_type);
  auto name_of = [&](const std::string& oo) {
    auto it = renames.find(oo);
    return it == renames.end() ? oo : it->second;
  };
  EXPECT_EQ(stored.size(), expected.Size());
  for (const auto& row : expected.GetArray()) {
    const json::Value* found = nullptr;
    for (auto* s : stored) {
      bool match = true;
      for (const auto& k : key)
        match = match && same_value(k, row[k.c_str()], member(*s, name_of(k)));
      if (match) found = s;
    }
    ASSERT_NE(found, nullptr) << "no stored row for " << json::write(row);
    for (const auto& m : row.GetObject()) {
      std::string col = m.name.GetString();
      EXPECT_TRUE(same_value(col, m.value, member(*found, name_of(col))))
          << col << ": want " << json::write(m.value) << ", have "
          << (member(*found, name_of(col)) ? json::write(*member(*found, name_of(col)))
                                           : "missing");
    }
  }
}

TEST_P(StoreTest, GoldenUpgradeData) {
  std::vector<std::string> inputs;
  if (std::filesystem::exists(shared_dir())) {
    for (const auto& e : std::filesystem::directory_iterator(shared_dir())) {
      std::string name = e.path().filename().string();
      if (name.starts_with("kcidb-test_db-upgrade-v") && name.ends_with(".io.json")) {
        inputs.push_back(e.path().string());
      }
    }
  }
  if (inputs.empty()) KCI_MISSING_REAL_PART("shared golden data not found in " << shared_dir());
  std::sort(inputs.begin(), inputs.end());
  for (const std::string& io : inputs) {
    SCOPED_TRACE(io);
    store_->empty();
    json::Document doc = parse(read_text(io));
    ASSERT_TRUE(report::validate_report(doc).ok()) << io;
    report::upgrade_report(doc);
    store_->load(doc);
    std::string oo_path = io.substr(0, io.size() - std::strlen(".io.json")) + ".oo.json";
    json::Document oo = parse(read_text(oo_path));
    Report stored = dump();
    // kcidb's test loads old data into a database of the old schema and
    // migrates the database, which drops "waived"; upgrading the report
    // instead turns waived tests into incidents of issue "_:waived" (the
    // v5.0 inheritance rule). Those are not in kcidb's expectations.
    std::erase_if(stored.issues, [](const report::Issue& i) { return *i.id == "_:waived"; });
    std::erase_if(stored.incidents,
                  [](const report::Incident& i) { return *i.issue_id == "_:waived"; });
    GoldenUpgrade g(stored);
    check_rows(io, "checkout", oo["checkout"], g.rows("checkouts"), {"id"});
    check_rows(io, "build", oo["build"], g.rows("builds"), {"id"});
    check_rows(io, "test", oo["test"], g.rows("tests"), {"id"});
    check_rows(io, "issue_version", oo["issue_version"], g.rows("issues"), {"id", "version_num"},
               {{"version_num", "version"}});
    check_rows(io, "incident", oo["incident"], g.rows("incidents"), {"id"},
               {{"issue_version_num", "issue_version"}});
    // Issues (without version): one per distinct id.
    std::set<std::string> issue_ids;
    for (const auto& i : stored.issues) issue_ids.insert(*i.id);
    EXPECT_EQ(issue_ids.size(), oo["issue"].Size());
    // Revisions: checkouts grouped by (git_commit_hash, patchset_hash).
    std::set<std::pair<std::string, std::string>> revisions;
    for (const auto& c : stored.checkouts) {
      if (c.git_commit_hash) revisions.insert({*c.git_commit_hash, c.patchset_hash.value_or("")});
    }
    EXPECT_EQ(revisions.size(), oo["revision"].Size());
    for (const auto& rev : oo["revision"].GetArray()) {
      std::pair<std::string, std::string> k{
          json::str(rev["git_commit_hash"]),
          rev["patchset_hash"].IsString() ? json::str(rev["patchset_hash"]) : ""};
      EXPECT_TRUE(revisions.count(k)) << json::write(rev);
    }
  }
}

// A PostgreSQL server restarted (or a backend terminated, a failover) drops
// every connection. The operation that finds its connection dropped fails
// with a StoreError; the next one reconnects: the store's loads and reads,
// its SQL view (prepared statements belong to the lost session) and a
// SqlConnection of its own. Without this a long-running `kci serve` never
// ingested again after a database restart.
class PostgresReconnect : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = testing::PgTestCluster::get();
    if (!cluster_)
      KCI_MISSING_REAL_PART("no PostgreSQL: " << testing::PgTestCluster::skip_reason());
    spec_ = cluster_->create_database();
  }
  static std::string backend_pid(SqlConnection& sql) {
    std::string pid;
    sql.exec("SELECT pg_backend_pid()::text", {}, [&](const SqlRow& row) { pid = row.text(0); });
    return pid;
  }
  // Terminates a backend and waits until it is gone.
  void terminate(const std::string& pid) {
    auto admin = SqlConnection::open(parse_database_spec(spec_));
    admin->exec("SELECT pg_terminate_backend($1::int)", {pid});
    for (int i = 0; i < 500; ++i) {
      std::size_t left = 0;
      admin->exec("SELECT 1 FROM pg_stat_activity WHERE pid = $1::int", {pid},
                  [&](const SqlRow&) { ++left; });
      if (left == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL() << "backend " << pid << " still runs";
  }
  // Runs f; if it fails (it found the connection dropped), once more.
  template <typename F>
  static int with_one_retry(F f) {
    try {
      f();
      return 0;
    } catch (const StoreError&) {
      f();
      return 1;
    }
  }
  testing::PgTestCluster* cluster_ = nullptr;
  std::string spec_;
};

Report one_test(const std::string& id) {
  Report r;
  report::Test t;
  t.id = id;
  t.origin = "o";
  t.build_id = "o:b";
  r.tests.push_back(t);
  return r;
}

TEST_F(PostgresReconnect, StoreLoadsAndReadsAfterItsConnectionWasDropped) {
  auto store = open_store(spec_);
  store->init();
  store->load(one_test("o:t1"));
  std::string pid = store->with_sql([](SqlConnection& sql) { return backend_pid(sql); });
  terminate(pid);
  with_one_retry([&] { store->load(one_test("o:t2")); });
  // A second load merges through the staging table (a temporary table of
  // the lost session, created again).
  store->load(one_test("o:t2"));
  Report all;
  store->dump({}, false, 0, [&](Report& r) { all = std::move(r); });
  EXPECT_EQ(all.tests.size(), 2u);
  // The store's SQL view prepares its statements again on the new session.
  std::string pid2 = store->with_sql([](SqlConnection& sql) { return backend_pid(sql); });
  EXPECT_NE(pid2, pid);
  EXPECT_EQ(store->component_version("store"), store_migrations().back().version);

  // Dropped between two reads: the first read fails or reconnects, the
  // second works.
  terminate(pid2);
  with_one_retry([&] { store->with_sql([](SqlConnection& sql) { backend_pid(sql); }); });
  EXPECT_EQ(store->with_sql([](SqlConnection& sql) { return backend_pid(sql).empty(); }), false);
}

TEST_F(PostgresReconnect, SqlConnectionReconnectsOutsideTransactions) {
  auto sql = SqlConnection::open(parse_database_spec(spec_));
  std::string pid = backend_pid(*sql);
  terminate(pid);
  EXPECT_EQ(with_one_retry([&] { backend_pid(*sql); }), 1) << "the dropped connection answered";
  EXPECT_NE(backend_pid(*sql), pid);

  // Dropped inside a transaction: the transaction fails and is not
  // continued on a new session; after it, the connection works again.
  sql->exec_script("CREATE TABLE t (x int)");
  sql->begin();
  sql->exec("INSERT INTO t VALUES (1)");
  terminate(backend_pid(*sql));
  EXPECT_THROW(sql->exec("INSERT INTO t VALUES (2)"), StoreError);
  EXPECT_THROW(sql->commit(), StoreError);
  std::size_t rows = 1;
  with_one_retry([&] {
    sql->exec("SELECT count(*)::text FROM t", {},
              [&](const SqlRow& row) { rows = std::stoul(std::string(row.text(0))); });
  });
  EXPECT_EQ(rows, 0u);
}

INSTANTIATE_TEST_SUITE_P(Drivers, StoreTest,
                         ::testing::Values(Driver::kSqlite, Driver::kPostgresql),
                         [](const auto& param_info) {
                           return param_info.param == Driver::kSqlite ? "SQLite" : "PostgreSQL";
                         });

}  // namespace
}  // namespace kci::store
