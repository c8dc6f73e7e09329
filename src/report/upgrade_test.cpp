// SPDX-License-Identifier: LGPL-2.1-or-later
#include "report/upgrade.h"

#include <gtest/gtest.h>

#include <string>

#include "report/validate.h"
#include "report/validate_test_support.h"

namespace kci::report {
namespace {

using testing::parse;

json::Document upgraded(std::string_view text, Version target = latest_version()) {
  json::Document doc = parse(text);
  ValidationResult before = validate_report(doc);
  EXPECT_TRUE(before.ok()) << text << "\n" << (before.ok() ? "" : before.errors[0].str());
  upgrade_report(doc, target);
  ValidationResult after = validate_report(doc);
  EXPECT_TRUE(after.ok()) << json::write(doc) << "\n" << (after.ok() ? "" : after.errors[0].str());
  return doc;
}

// Expects an UpgradeError whose message starts with `pointer` + ": ".
void expect_upgrade_error(std::string_view text, const std::string& pointer) {
  json::Document doc = parse(text);
  ASSERT_TRUE(validate_report(doc).ok()) << text;
  try {
    upgrade_report(doc);
    ADD_FAILURE() << "no UpgradeError for " << text;
  } catch (const UpgradeError& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with(pointer + ": ")) << e.what();
  }
}

TEST(Upgrade, MinorBumpOnlyRelabels) {
  json::Document doc =
      upgraded(R"({"version":{"major":5,"minor":0},"checkouts":[{"id":"o:1","origin":"o"}]})");
  EXPECT_EQ(json::write(doc),
            R"({"version":{"major":5,"minor":3},"checkouts":[{"id":"o:1","origin":"o"}]})");
}

TEST(Upgrade, SameVersionIsANoOp) {
  // {"major": 5} is v5.0: upgrading it to v5.0 changes nothing.
  json::Document doc = upgraded(R"({"version":{"major":5}})", {5, 0});
  EXPECT_EQ(json::write(doc), R"({"version":{"major":5}})");
}

TEST(Upgrade, ToAnOlderVersionIsRefused) {
  json::Document doc = parse(R"({"version":{"major":5,"minor":3}})");
  EXPECT_THROW(upgrade_report(doc, {4, 5}), VersionError);
}

TEST(Upgrade, V1ToV2JoinsIdsAndFixesResourceNames) {
  json::Document doc = upgraded(
      R"({"version":"1","revisions":[{"origin":"o","origin_id":"r1"}],)"
      R"("builds":[{"revision_origin":"o","revision_origin_id":"r1","origin":"o","origin_id":"b1",)"
      R"("output_files":[{"name":"a/b","url":"https://x/y"}]}],)"
      R"("tests":[{"build_origin":"o","build_origin_id":"b1","origin":"t","origin_id":"1"}]})",
      {2, 0});
  EXPECT_EQ(
      json::write(doc),
      R"({"version":{"major":2,"minor":0},"revisions":[{"id":"o:r1"}],)"
      R"("builds":[{"revision_id":"o:r1","id":"o:b1","output_files":[{"name":"a_b","url":"https://x/y"}]}],)"
      R"("tests":[{"build_id":"o:b1","id":"t:1"}]})");
}

TEST(Upgrade, V1WithAnEmptyOriginCannotBecomeV2) {
  json::Document doc = parse(R"({"version":"1","revisions":[{"origin":"","origin_id":"r"}]})");
  ASSERT_TRUE(validate_report(doc).ok());
  try {
    upgrade_report(doc);
    ADD_FAILURE() << "upgraded";
  } catch (const UpgradeError& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with("/revisions/0/id: ")) << e.what();
  }
}

TEST(Upgrade, V2ToV4MakesCheckouts) {
  const std::string hash = "0123456789abcdef0123456789abcdef01234567";
  const std::string patches = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  json::Document doc = upgraded(
      R"({"version":{"major":2},"revisions":[{"id":"o:)" + hash + "+" + patches +
          R"(","git_repository_commit_hash":")" + hash +
          R"(","description":"d","discovery_time":"2020-01-01T00:00:00Z","publishing_time":"2020-01-01T00:00:00Z"}],)"
          R"("builds":[{"id":"o:b","revision_id":"o:)" +
          hash +
          R"(","description":"x"}],)"
          R"("tests":[{"id":"t:1","build_id":"o:b","environment":{"description":"e"}}]})",
      {4, 0});
  EXPECT_EQ(
      json::write(doc),
      R"({"version":{"major":4,"minor":0},"checkouts":[{"id":"_:o:)" + hash + "+" + patches +
          R"(","git_commit_hash":")" + hash +
          R"(","comment":"d","start_time":"2020-01-01T00:00:00Z","origin":"o","patchset_hash":")" +
          patches +
          R"("}],)"
          R"("builds":[{"id":"o:b","checkout_id":"_:o:)" +
          hash +
          R"(","comment":"x","origin":"o"}],)"
          R"("tests":[{"id":"t:1","build_id":"o:b","environment":{"comment":"e"},"origin":"t"}]})");
}

TEST(Upgrade, V4ToV5WaivedTestsBuildValidityAndDroppedFields) {
  json::Document doc = upgraded(
      R"({"version":{"major":4,"minor":5},)"
      R"("checkouts":[{"id":"o:c","origin":"o","contacts":["a@b"],"git_repository_url":"https://x/y"}],)"
      R"("builds":[{"id":"o:b","checkout_id":"o:c","origin":"o","valid":true},)"
      R"({"id":"o:b2","checkout_id":"o:c","origin":"o","valid":false}],)"
      R"("tests":[{"id":"o:t1","build_id":"o:b","origin":"o","waived":true},)"
      R"({"id":"o:t2","build_id":"o:b","origin":"o","waived":false}],)"
      R"("issues":[{"id":"o:i","version":1,"origin":"o","build_valid":false,"test_status":"FAIL"}]})");
  EXPECT_EQ(
      json::write(doc),
      R"({"version":{"major":5,"minor":3},)"
      R"("checkouts":[{"id":"o:c","origin":"o","git_repository_url":"https://x/y"}],)"
      R"("builds":[{"id":"o:b","checkout_id":"o:c","origin":"o","status":"PASS"},)"
      R"({"id":"o:b2","checkout_id":"o:c","origin":"o","status":"FAIL"}],)"
      R"("tests":[{"id":"o:t1","build_id":"o:b","origin":"o"},{"id":"o:t2","build_id":"o:b","origin":"o"}],)"
      R"("issues":[{"id":"o:i","version":1,"origin":"o"},)"
      R"({"id":"_:waived","origin":"_","version":1,"comment":"Test waived as unreliable"}],)"
      R"("incidents":[{"id":"_:waived:1:o:t1","origin":"_","issue_id":"_:waived","issue_version":1,)"
      R"("test_id":"o:t1","present":true}]})");
}

TEST(Upgrade, InheritanceImpossibleNamesThePointer) {
  expect_upgrade_error(
      R"({"version":{"major":4,"minor":5},"checkouts":[{"id":"o:c","origin":"o"},{"id":"o:d","origin":"o","git_repository_url":"git://x/y"}]})",
      "/checkouts/1/git_repository_url");
  expect_upgrade_error(
      R"({"version":{"major":4},"tests":[{"id":"o:t","build_id":"o:b","origin":"o","path":"ltp..x"}]})",
      "/tests/0/path");
  expect_upgrade_error(
      R"({"version":{"major":4},"builds":[{"id":"o:b","checkout_id":"o:c","origin":"o","comment":"a\u0000"}]})",
      "/builds/0/comment");
  // NUL stays allowed in misc.
  upgraded(
      R"({"version":{"major":4},"builds":[{"id":"o:b","checkout_id":"o:c","origin":"o","misc":{"a":"\u0000"}}]})");
}

// The golden data of kcidb's test_upgrade(): each input upgraded to v5.3
// must be valid and hold the objects kcidb stores for it (".oo.json", the
// ORM rows: nested fields flattened as environment_*, number_*, culprit_*;
// null = missing). The "revision" rows are a database view, not I/O data.
class UpgradeGolden : public ::testing::TestWithParam<const char*> {};

const json::Value* find_by_id(const json::Value& list, const json::Value& id) {
  for (const json::Value& o : list.GetArray()) {
    if (o.HasMember("id") && o["id"] == id) return &o;
  }
  return nullptr;
}

// Looks an ORM column up in an I/O object.
const json::Value* column(const json::Value& object, std::string_view name) {
  if (name == "version_num") name = "version";
  if (name == "issue_version_num") name = "issue_version";
  for (std::string_view nested : {"environment", "number", "culprit"}) {
    if (name.size() > nested.size() && name.starts_with(nested) && name[nested.size()] == '_') {
      auto it = object.FindMember(json::Value(rapidjson::StringRef(nested.data(), nested.size())));
      if (it == object.MemberEnd()) return nullptr;
      name.remove_prefix(nested.size() + 1);
      auto inner =
          it->value.FindMember(json::Value(rapidjson::StringRef(name.data(), name.size())));
      return inner == it->value.MemberEnd() ? nullptr : &inner->value;
    }
  }
  auto it = object.FindMember(json::Value(rapidjson::StringRef(name.data(), name.size())));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

TEST_P(UpgradeGolden, MatchesKcidbObjects) {
  KCI_REQUIRE_SAMPLES();
  const std::string base = std::string("kcidb-test_db-upgrade-v") + GetParam();
  json::Document doc = testing::read_sample(base + ".io.json");
  ASSERT_TRUE(validate_report(doc).ok());
  upgrade_report(doc);
  ValidationResult r = validate_report(doc);
  ASSERT_TRUE(r.ok()) << r.errors.front().str();
  EXPECT_EQ(r.version, latest_version());

  json::Document oo = testing::read_sample(base + ".oo.json");
  const std::pair<const char*, const char*> tables[] = {
      {"checkout", "checkouts"},   {"build", "builds"},       {"test", "tests"},
      {"issue_version", "issues"}, {"incident", "incidents"},
  };
  for (const auto& [table, list] : tables) {
    if (!oo.HasMember(table)) continue;
    for (const json::Value& row : oo[table].GetArray()) {
      ASSERT_TRUE(doc.HasMember(list)) << table;
      const json::Value* object = find_by_id(doc[list], row["id"]);
      ASSERT_NE(object, nullptr) << table << " " << json::write(row["id"]);
      for (const auto& m : row.GetObject()) {
        const json::Value* ours = column(*object, json::str(m.name));
        if (m.value.IsNull()) {
          EXPECT_EQ(ours, nullptr) << table << "." << json::str(m.name);
        } else {
          ASSERT_NE(ours, nullptr) << table << "." << json::str(m.name);
          EXPECT_EQ(*ours, m.value)
              << table << "." << json::str(m.name) << ": " << json::write(*ours);
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Samples, UpgradeGolden,
                         ::testing::Values("03_00", "04_00", "04_02", "04_03", "04_04", "04_05",
                                           "05_00", "05_01", "05_02", "05_03"));

TEST(UpgradeSamples, Cki2019V1StopsAtV3RevisionIds) {
  KCI_REQUIRE_SAMPLES();
  json::Document doc = testing::read_sample("kcidb-2019-cki.v01.json");
  ASSERT_TRUE(validate_report(doc).ok());
  upgrade_report(doc, {2, 0});
  EXPECT_TRUE(validate_report(doc).ok());
  try {
    upgrade_report(doc);
    ADD_FAILURE() << "v1 revision IDs are not commit hashes; v3 needs them";
  } catch (const UpgradeError& e) {
    // The first invalid value in document order: a build's revision ID.
    EXPECT_TRUE(std::string(e.what()).starts_with("/builds/0/revision_id: ")) << e.what();
    EXPECT_NE(std::string(e.what()).find("upgraded to v3.0"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kci::report
