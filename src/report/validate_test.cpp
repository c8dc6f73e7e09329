// SPDX-License-Identifier: LGPL-2.1-or-later
#include "report/validate.h"

#include <gtest/gtest.h>

#include <string>

#include "report/upgrade.h"
#include "report/validate_test_support.h"

namespace kci::report {
namespace {

using testing::parse;

std::vector<ValidationError> errors_of(std::string_view text, ValidateOptions options = {}) {
  json::Document doc = parse(text);
  return validate_report(doc, options).errors;
}

bool valid(std::string_view text, ValidateOptions options = {}) {
  auto errors = errors_of(text, options);
  for (const auto& e : errors) ADD_FAILURE() << "unexpected error " << e.str() << " in " << text;
  return errors.empty();
}

// Expects exactly one error, at `pointer`, whose message contains `what`.
void expect_error(std::string_view text, std::string_view pointer, std::string_view what,
                  ValidateOptions options = {}) {
  auto errors = errors_of(text, options);
  ASSERT_EQ(errors.size(), 1u) << text << (errors.empty() ? "" : "\nfirst: " + errors[0].str());
  EXPECT_EQ(errors[0].pointer, pointer) << errors[0].str();
  EXPECT_NE(errors[0].message.find(what), std::string::npos) << errors[0].str();
}

// A v5.3 report around one checkout's extra fields.
std::string checkout(std::string_view fields) {
  return R"({"version":{"major":5,"minor":3},"checkouts":[{"id":"o:1","origin":"o")" +
         std::string(fields.empty() ? "" : ",") + std::string(fields) + "}]}";
}

TEST(Validate, MinimalReports) {
  EXPECT_TRUE(valid(R"({"version":{"major":5,"minor":3}})"));
  EXPECT_TRUE(valid(R"({"version":{"major":5}})"));  // minor may be missing
  EXPECT_TRUE(valid(R"({"version":{"major":4,"minor":2},"checkouts":[]})"));
  EXPECT_TRUE(valid(R"({"version":"1"})"));
  EXPECT_TRUE(valid(R"({"version":"1\n"})"));
  EXPECT_TRUE(valid(R"({"version":{"major":1,"minor":1}})"));
  // Not an exact version for kcidb-io (floats are not Python ints), so
  // checked against v5.3, whose schema takes integer-valued floats.
  EXPECT_TRUE(valid(R"({"version":{"major":5.0,"minor":3.0}})"));
}

// kcidb-io checks a report against the schema of the version it names
// exactly, else against the newest schema (Version.validate()).
TEST(Validate, VersionPickedAsKcidbIoDoes) {
  // "1.0" and {major: 1} name v1.0, which has no schema: checked as v5.3.
  expect_error(R"({"version":"1.0"})", "/version", "expected {\"major\": 5");
  expect_error(R"({"version":{"major":1}})", "/version/major", "expected 5, got 1");
  // A float minor names no version: v5.3's schema accepts it, and then
  // v5.3 fields are allowed.
  EXPECT_TRUE(valid(
      R"({"version":{"major":5,"minor":1.0},"tests":[{"id":"o:t","build_id":"o:b","origin":"o","input_files":[]}]})"));
  expect_error(
      R"({"version":{"major":5,"minor":1},"tests":[{"id":"o:t","build_id":"o:b","origin":"o","input_files":[]}]})",
      "/tests/0/input_files", "unexpected field");
  expect_error(R"({"version":{"major":4,"minor":3.0}})", "/version/major", "expected 5, got 4");
}

TEST(Validate, VersionErrors) {
  expect_error("[]", "", "a JSON object");
  expect_error(R"({})", "", "missing required field \"version\"");
  expect_error(R"({"version":{"major":5,"minor":4}})", "/version/minor", "from 0 to 3, got 4");
  expect_error(R"({"version":{"major":6}})", "/version/major", "expected 5, got 6");
  expect_error(R"({"version":"1.1"})", "/version", "got \"1.1\"");
  expect_error(R"({"version":"5"})", "/version", "got \"5\"");
  expect_error(R"({"version":{"major":true}})", "/version/major", "integer");
  expect_error(R"({"version":{"major":5,"minor":3,"patch":1}})", "/version/patch",
               "unexpected field");
  expect_error(R"({"version":{"major":5,"minor":3,"minor":3}})", "/version/minor", "duplicate key");
}

TEST(Validate, MaxMajor) {
  ValidateOptions v4;
  v4.max_major = 4;
  // Newer majors are not candidates: checked (and refused) as v4.5.
  expect_error(R"({"version":{"major":5,"minor":0}})", "/version/major", "expected 4, got 5", v4);
  EXPECT_TRUE(valid(R"({"version":{"major":4,"minor":5}})", v4));
  EXPECT_TRUE(valid(R"({"version":{"major":3}})", v4));
}

TEST(Validate, PythonDollarBeforeFinalNewline) {
  EXPECT_TRUE(
      valid(R"({"version":{"major":5,"minor":3},"checkouts":[{"id":"o:1","origin":"abc\n"}]})"));
  expect_error(R"({"version":{"major":5,"minor":3},"checkouts":[{"id":"o:1","origin":"abc\n\n"}]})",
               "/checkouts/0/origin", "^[a-z0-9_]+$");
  EXPECT_TRUE(valid(checkout(R"("git_commit_hash":"0123456789abcdef0123456789abcdef01234567\n")")));
  EXPECT_TRUE(valid(
      R"({"version":{"major":5},"tests":[{"id":"o:t","build_id":"o:b","origin":"o","path":"ltp\n"}]})"));
}

TEST(Validate, IntegersNumbersAndBooleans) {
  const std::string issue =
      R"({"version":{"major":5,"minor":3},"issues":[{"id":"o:1","origin":"o","version":)";
  EXPECT_TRUE(valid(issue + "1.0}]}"));
  expect_error(issue + "1.5}]}", "/issues/0/version", "expected an integer, got 1.5");
  expect_error(issue + "-1}]}", "/issues/0/version", "expected an integer >= 0, got -1");
  expect_error(issue + "true}]}", "/issues/0/version", "expected an integer, got true");
  const std::string build =
      R"({"version":{"major":5,"minor":3},"builds":[{"id":"o:b","checkout_id":"o:c","origin":"o","duration":)";
  EXPECT_TRUE(valid(build + "-1}]}"));
  EXPECT_TRUE(valid(build + "1e300}]}"));
  expect_error(build + "false}]}", "/builds/0/duration", "expected a number, got false");
  expect_error(build + "\"1\"}]}", "/builds/0/duration", "expected a number, got \"1\"");
  expect_error(checkout(R"("valid":1)"), "/checkouts/0/valid", "expected a boolean, got 1");
}

TEST(Validate, NullsOnlyInMisc) {
  expect_error(checkout(R"("comment":null)"), "/checkouts/0/comment",
               "expected a string, got null");
  expect_error(R"({"version":{"major":5},"checkouts":null})", "/checkouts",
               "expected an array of checkout objects, got null");
  expect_error(R"({"version":{"major":5},"checkouts":[null]})", "/checkouts/0",
               "expected a checkout object, got null");
  EXPECT_TRUE(valid(checkout(R"("misc":{"a":null,"b":[null,{"c":null}]})")));
  expect_error(checkout(R"("misc":[])"), "/checkouts/0/misc", "expected an object, got an array");
}

TEST(Validate, UnknownAndMissingFields) {
  expect_error(R"({"version":{"major":5},"foo":[]})", "/foo", "unexpected field");
  expect_error(checkout(R"("contacts":[])"), "/checkouts/0/contacts",
               "v5.3 checkout has no such field");
  expect_error(R"({"version":{"major":5},"builds":[{"id":"o:b","origin":"o"}]})", "/builds/0",
               "missing required field \"checkout_id\"");
  expect_error(
      R"({"version":{"major":5},"tests":[{"id":"o:t","build_id":"o:b","origin":"o","number":{}}]})",
      "/tests/0/number", "missing required field \"value\"");
  // The same field is fine where its version has it.
  EXPECT_TRUE(valid(
      R"({"version":{"major":4,"minor":5},"checkouts":[{"id":"o:1","origin":"o","contacts":["a@b"]}]})"));
}

TEST(Validate, DuplicateKeys) {
  expect_error(checkout(R"("origin":"o")"), "/checkouts/0/origin", "duplicate key");
  expect_error(checkout(R"("misc":{"a/b":1,"x":2,"a/b":3})"), "/checkouts/0/misc/a~1b",
               "duplicate key");
  expect_error(checkout(R"("misc":{"deep":[{"k":1,"k":1}]})"), "/checkouts/0/misc/deep/0/k",
               "duplicate key");
}

TEST(Validate, NulCharacters) {
  // Strings may hold NUL; v5 forbids it outside misc, v4 does not.
  expect_error(checkout(R"("comment":"a\u0000b")"), "/checkouts/0/comment", "^[^\\0]*$");
  expect_error(R"({"version":{"major":5},"checkouts":[{"id":"o:\u0000","origin":"o"}]})",
               "/checkouts/0/id", "^[a-z0-9_]+:[^\\0]*$");
  EXPECT_TRUE(valid(
      R"({"version":{"major":4,"minor":5},"checkouts":[{"id":"o:\u0000","origin":"o","comment":"\u0000"}]})"));
  EXPECT_TRUE(valid(checkout(R"("misc":{"s":"\u0000"})")));
}

TEST(Validate, EnumsAndLengths) {
  const std::string test =
      R"({"version":{"major":5},"tests":[{"id":"o:t","build_id":"o:b","origin":"o",)";
  expect_error(test + R"("status":"BAD"}]})", "/tests/0/status",
               "expected one of \"FAIL\", \"ERROR\", \"MISS\"");
  expect_error(
      R"({"version":{"major":4,"minor":1},"tests":[{"id":"o:t","build_id":"o:b","origin":"o","status":"MISS"}]})",
      "/tests/0/status", "expected one of");
  std::string excerpt(16384, 'x');
  EXPECT_TRUE(valid(checkout("\"log_excerpt\":\"" + excerpt + "\"")));
  std::string accents;
  for (int i = 0; i < 16384; ++i) accents += "\xc3\xa9";  // 2 bytes, 1 character each
  EXPECT_TRUE(valid(checkout("\"log_excerpt\":\"" + accents + "\"")));
  expect_error(checkout("\"log_excerpt\":\"" + excerpt + "x\""), "/checkouts/0/log_excerpt",
               "expected at most 16384 characters, got 16385");
}

TEST(Validate, Formats) {
  expect_error(checkout(R"("start_time":"yesterday")"), "/checkouts/0/start_time", "RFC 3339");
  expect_error(checkout(R"("start_time":"2020-01-01T00:00:00")"), "/checkouts/0/start_time",
               "RFC 3339");
  expect_error(checkout(R"("log_url":"https://x/a b")"), "/checkouts/0/log_url", "absolute URI");
  expect_error(checkout(R"("message_id":"nobody")"), "/checkouts/0/message_id", "e-mail");
  EXPECT_TRUE(valid(checkout(
      R"("start_time":"2020-01-01t00:00:00z","log_url":"https://x/\n","message_id":"@")")));
  ValidateOptions no_formats;
  no_formats.check_formats = false;
  EXPECT_TRUE(valid(checkout(R"("start_time":"yesterday","log_url":"build.log","message_id":"x")"),
                    no_formats));
  // Patterns still apply without format checks.
  expect_error(checkout(R"("git_repository_url":"git://x/y")"), "/checkouts/0/git_repository_url",
               "^https://", no_formats);
}

TEST(Validate, MaxErrorsAndOrderOfErrors) {
  ValidateOptions two;
  two.max_errors = 2;
  auto errors = errors_of(checkout(R"("comment":1,"tree_name":2,"valid":"x")"), two);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].pointer, "/checkouts/0/comment");
  EXPECT_EQ(errors[1].pointer, "/checkouts/0/tree_name");
  EXPECT_EQ(errors[0].str(), "/checkouts/0/comment: expected a string, got 1");
}

TEST(ValidateSamples, Cki2019IsValidV1) {
  KCI_REQUIRE_SAMPLES();
  json::Document doc = testing::read_sample("kcidb-2019-cki.v01.json");
  ValidationResult r = validate_report(doc);
  EXPECT_TRUE(r.ok()) << r.errors.front().str();
  EXPECT_EQ(r.version, (Version{1, 1}));
}

TEST(ValidateSamples, KernelCi2019FailsOnlyOnRelativeBuildLogUrls) {
  KCI_REQUIRE_SAMPLES();
  json::Document doc = testing::read_sample("kcidb-2019-kernelci.v01.json");
  ValidateOptions all;
  all.max_errors = 10000;
  ValidationResult r = validate_report(doc, all);
  EXPECT_EQ(r.errors.size(), 176u);
  for (const auto& e : r.errors) {
    EXPECT_TRUE(e.pointer.starts_with("/builds/") && e.pointer.ends_with("/log_url")) << e.str();
    EXPECT_NE(e.message.find("\"build.log\""), std::string::npos) << e.str();
  }
  all.check_formats = false;
  EXPECT_TRUE(validate_report(doc, all).ok());
}

TEST(ValidateSamples, DerivedV53SamplesAreValid) {
  KCI_REQUIRE_SAMPLES();
  for (const char* name :
       {"kcidb-2019-cki.v05_03-derived.json", "kcidb-2019-kernelci.v05_03-derived.json"}) {
    json::Document doc = testing::read_sample(name);
    ValidationResult r = validate_report(doc);
    EXPECT_TRUE(r.ok()) << name << ": " << r.errors.front().str();
    EXPECT_EQ(r.version, (Version{5, 3}));
  }
}

TEST(ValidateSamples, ComprehensiveDataIsValidAndUpgradeLeavesItUnchanged) {
  KCI_REQUIRE_SAMPLES();
  json::Document doc = testing::read_sample("kcidb-test_db-COMPREHENSIVE_IO_DATA.v05_03.json");
  ValidationResult r = validate_report(doc);
  ASSERT_TRUE(r.ok()) << r.errors.front().str();
  json::Document original;
  original.CopyFrom(doc, original.GetAllocator());
  upgrade_report(doc);
  EXPECT_EQ(json::write(doc), json::write(original));
}

}  // namespace
}  // namespace kci::report
