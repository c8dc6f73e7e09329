// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/results/ktap.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "util/file.h"
#include "util/subprocess.h"
#include "util/test_support.h"

namespace kci::pipeline {
namespace {

namespace fs = std::filesystem;

std::string fixture(const std::string& name) {
  return read_file(std::string(KCI_SOURCE_DIR) + "/tests/runtime/fixtures/ktap/" + name);
}

TEST(Ktap, StripsPrintkTimestamps) {
  EXPECT_EQ(strip_printk_timestamps("[    0.060000] ok 1 a\n[    0.060000][    T1]     x\nplain\n"),
            "ok 1 a\n    x\nplain\n");
}

TEST(Ktap, NoVersionLineMeansNotFound) {
  KtapDocument doc = parse_ktap("ok 1 - looks like TAP\n");
  EXPECT_FALSE(doc.found);
  EXPECT_TRUE(doc.tests.empty());
}

// Written after the 6.1 example suite's real output (lib/kunit/example-test.c).
TEST(Ktap, KunitExampleWithParamsSkipAndFailure) {
  KtapDocument doc = parse_ktap(fixture("kunit-example-6.1.log"));
  ASSERT_TRUE(doc.found);
  EXPECT_EQ(doc.version, "KTAP version 1");
  EXPECT_EQ(doc.planned, 1);
  EXPECT_TRUE(doc.errors.empty()) << doc.errors.front();
  ASSERT_EQ(doc.tests.size(), 1u);
  const KtapTest& suite = doc.tests[0];
  EXPECT_EQ(suite.name, "example");
  EXPECT_EQ(suite.status, KtapStatus::kFail);
  ASSERT_EQ(suite.subtests.size(), 4u);
  EXPECT_EQ(suite.subtests[0].name, "example_simple_test");
  EXPECT_EQ(suite.subtests[0].status, KtapStatus::kPass);
  EXPECT_EQ(suite.subtests[1].status, KtapStatus::kSkip);
  EXPECT_EQ(suite.subtests[1].directive_reason, "this test should be skipped");
  EXPECT_EQ(suite.subtests[2].name, "example_failing_test");
  EXPECT_EQ(suite.subtests[2].status, KtapStatus::kFail);
  // The diagnostics printed before the result belong to the failing case.
  ASSERT_GE(suite.subtests[2].log.size(), 2u);
  EXPECT_NE(suite.subtests[2].log[0].find("EXPECTATION FAILED"), std::string::npos);
  const KtapTest& params = suite.subtests[3];
  EXPECT_EQ(params.name, "example_params_test");
  EXPECT_EQ(params.status, KtapStatus::kPass);
  ASSERT_EQ(params.subtests.size(), 2u);
  EXPECT_EQ(params.subtests[0].name, "example value 2");
  EXPECT_EQ(params.subtests[1].status, KtapStatus::kSkip);
}

TEST(Ktap, Tap13DirectivesAndDiagnostics) {
  KtapDocument doc = parse_ktap(fixture("tap13-todo-diagnostics.tap"));
  ASSERT_TRUE(doc.found);
  ASSERT_EQ(doc.tests.size(), 4u);
  EXPECT_EQ(doc.tests[0].status, KtapStatus::kPass);
  EXPECT_EQ(doc.tests[0].log.size(), 1u);  // "# diagnostic before the first test"
  EXPECT_EQ(doc.tests[1].status, KtapStatus::kTodo);
  EXPECT_EQ(doc.tests[1].directive_reason, "not implemented yet");
  EXPECT_EQ(doc.tests[2].status, KtapStatus::kSkip);  // "# skip" is case-insensitive
  EXPECT_EQ(doc.tests[2].name, "third");
  EXPECT_EQ(doc.tests[3].status, KtapStatus::kFail);
}

// A console announcing an absurd plan (found by fuzzing: "1..33333334"
// allocated gigabytes of missing tests) gets a bounded list and an error.
TEST(Ktap, HugePlanListsABoundedNumberOfMissingTests) {
  KtapDocument doc = parse_ktap("KTAP version 1\n1..2147483647\nok 1 first\n");
  ASSERT_EQ(doc.tests.size(), 1u + 4096u);
  EXPECT_EQ(doc.tests[0].status, KtapStatus::kPass);
  EXPECT_EQ(doc.tests.back().number, 4097);
  EXPECT_EQ(doc.tests.back().status, KtapStatus::kNoResult);
  ASSERT_EQ(doc.errors.size(), 2u);
  EXPECT_EQ(doc.errors[1], "only the first 4096 missing tests are listed");
}

TEST(Ktap, CrashInTheMiddleOfASuite) {
  KtapDocument doc = parse_ktap(fixture("crash-mid-suite.log"));
  ASSERT_TRUE(doc.found);
  ASSERT_EQ(doc.tests.size(), 2u);
  EXPECT_EQ(doc.tests[0].status, KtapStatus::kPass);
  const KtapTest& crashed = doc.tests[1];
  EXPECT_EQ(crashed.name, "crashing_suite");
  EXPECT_EQ(crashed.status, KtapStatus::kCrashed);
  ASSERT_EQ(crashed.subtests.size(), 1u);
  EXPECT_EQ(crashed.subtests[0].status, KtapStatus::kPass);
  EXPECT_FALSE(doc.errors.empty());
}

TEST(Ktap, MissingTopLevelTestsAreReported) {
  KtapDocument doc = parse_ktap("KTAP version 1\n1..3\nok 1 a\n");
  ASSERT_EQ(doc.tests.size(), 3u);
  EXPECT_EQ(doc.tests[1].status, KtapStatus::kNoResult);
  EXPECT_EQ(doc.tests[2].number, 3);
}

// Golden tests: the KTAP examples that kunit_tool's own tests use
// (tools/testing/kunit/test_data in the kernel source), with the results
// kunit_tool_test.py expects from them.
class KunitTestData : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fs::path cache = fs::path(KCI_BINARY_DIR) / "kunit-test-data";
    fs::path data = cache / "linux-source-6.1/tools/testing/kunit/test_data";
    if (!fs::exists(data)) {
      const char* tarball = "/usr/src/linux-source-6.1.tar.xz";
      if (!fs::exists(tarball)) return;
      fs::create_directories(cache);
      RunOptions options;
      options.cwd = cache.string();
      options.timeout = std::chrono::minutes(5);
      RunResult r = run_process(
          {"tar", "-xJf", tarball, "--wildcards", "*/tools/testing/kunit/test_data/*"}, options);
      if (!r.ok()) return;
    }
    if (fs::exists(data)) data_dir_ = data.string();
  }
  std::string load(const std::string& name) {
    if (data_dir_.empty()) return "";
    return read_file(data_dir_ + "/" + name);
  }
  static std::string data_dir_;
};
std::string KunitTestData::data_dir_;

#define REQUIRE_TEST_DATA() \
  if (data_dir_.empty())    \
  KCI_MISSING_REAL_PART("no /usr/src/linux-source-6.1.tar.xz (apt-get install linux-source-6.1)")

TEST_F(KunitTestData, AllPassed) {
  REQUIRE_TEST_DATA();
  KtapDocument doc = parse_ktap(load("test_is_test_passed-all_passed.log"));
  ASSERT_EQ(doc.tests.size(), 2u);
  EXPECT_EQ(doc.tests[0].name, "sysctl_test");
  EXPECT_EQ(doc.tests[0].subtests.size(), 8u);
  EXPECT_EQ(doc.tests[1].name, "example");
  for (const auto& suite : doc.tests) {
    EXPECT_EQ(suite.status, KtapStatus::kPass);
    for (const auto& t : suite.subtests) EXPECT_EQ(t.status, KtapStatus::kPass) << t.name;
  }
  EXPECT_TRUE(doc.errors.empty());
}

TEST_F(KunitTestData, AllPassedNested) {
  REQUIRE_TEST_DATA();
  KtapDocument doc = parse_ktap(load("test_is_test_passed-all_passed_nested.log"));
  ASSERT_EQ(doc.tests.size(), 2u);
  ASSERT_EQ(doc.tests[0].subtests.size(), 4u);
  EXPECT_EQ(doc.tests[0].subtests[1].name, "example");
  EXPECT_EQ(doc.tests[0].subtests[1].subtests.size(), 2u);
  EXPECT_EQ(doc.tests[0].status, KtapStatus::kPass);
}

TEST_F(KunitTestData, Failure) {
  REQUIRE_TEST_DATA();
  KtapDocument doc = parse_ktap(load("test_is_test_passed-failure.log"));
  ASSERT_EQ(doc.tests.size(), 2u);
  EXPECT_EQ(doc.tests[0].status, KtapStatus::kPass);
  EXPECT_EQ(doc.tests[1].status, KtapStatus::kFail);
  ASSERT_EQ(doc.tests[1].subtests.size(), 2u);
  EXPECT_EQ(doc.tests[1].subtests[0].status, KtapStatus::kFail);
  EXPECT_EQ(doc.tests[1].subtests[1].status, KtapStatus::kPass);
}

TEST_F(KunitTestData, SkipTests) {
  REQUIRE_TEST_DATA();
  KtapDocument doc = parse_ktap(load("test_skip_tests.log"));
  ASSERT_EQ(doc.tests.size(), 2u);
  EXPECT_EQ(doc.tests[1].subtests[1].status, KtapStatus::kSkip);
  EXPECT_EQ(doc.tests[1].status, KtapStatus::kPass);
  KtapDocument all = parse_ktap(load("test_skip_all_tests.log"));
  for (const auto& suite : all.tests) EXPECT_EQ(suite.status, KtapStatus::kSkip);
}

TEST_F(KunitTestData, KernelPanicInterrupt) {
  REQUIRE_TEST_DATA();
  // kunit_tool: the third suite is cut by the panic after its first case.
  KtapDocument doc = parse_ktap(load("test_kernel_panic_interrupt.log"));
  ASSERT_EQ(doc.tests.size(), 3u);
  EXPECT_EQ(doc.tests[0].status, KtapStatus::kPass);
  EXPECT_EQ(doc.tests[1].status, KtapStatus::kPass);
  EXPECT_EQ(doc.tests[2].name, "string-stream-test");
  EXPECT_EQ(doc.tests[2].status, KtapStatus::kCrashed);
  EXPECT_EQ(doc.tests[2].subtests.size(), 1u);
}

TEST_F(KunitTestData, InterruptedByOtherOutputAndPrefixes) {
  REQUIRE_TEST_DATA();
  for (const char* name : {"test_interrupted_tap_output.log", "test_multiple_prefixes.log",
                           "test_pound_sign.log", "test_config_printk_time.log"}) {
    KtapDocument doc = parse_ktap(load(name));
    ASSERT_EQ(doc.tests.size(), 3u) << name;
    for (const auto& suite : doc.tests) EXPECT_EQ(suite.status, KtapStatus::kPass) << name;
    EXPECT_EQ(doc.tests[0].subtests.size(), 5u) << name;
  }
}

TEST_F(KunitTestData, KtapOutputAndHeaders) {
  REQUIRE_TEST_DATA();
  KtapDocument doc = parse_ktap(load("test_parse_ktap_output.log"));
  ASSERT_EQ(doc.tests.size(), 1u);
  EXPECT_EQ(doc.tests[0].name, "suite");
  EXPECT_EQ(doc.tests[0].subtests.size(), 3u);
  KtapDocument header = parse_ktap(load("test_parse_subtest_header.log"));
  ASSERT_EQ(header.tests.size(), 1u);
  EXPECT_EQ(header.tests[0].name, "suite");
  KtapDocument hyphen = parse_ktap(load("test_strip_hyphen.log"));
  ASSERT_EQ(hyphen.tests.size(), 2u);
  EXPECT_EQ(hyphen.tests[1].subtests[0].name, "example_simple_test");
}

TEST_F(KunitTestData, NoTests) {
  REQUIRE_TEST_DATA();
  KtapDocument doc = parse_ktap(load("test_is_test_passed-no_tests_run_with_header.log"));
  EXPECT_TRUE(doc.found);
  EXPECT_EQ(doc.planned, 0);
  EXPECT_TRUE(doc.tests.empty());
  EXPECT_FALSE(parse_ktap(load("test_insufficient_memory.log")).found);
}

TEST_F(KunitTestData, MissingPlanAndKselftest) {
  REQUIRE_TEST_DATA();
  KtapDocument doc = parse_ktap(load("test_is_test_passed-missing_plan.log"));
  ASSERT_EQ(doc.tests.size(), 2u);
  EXPECT_EQ(doc.tests[0].subtests.size(), 8u);
  KtapDocument kselftest = parse_ktap(load("test_is_test_passed-kselftest.log"));
  ASSERT_EQ(kselftest.tests.size(), 2u);
  EXPECT_EQ(kselftest.tests[0].name, "selftests: membarrier: membarrier_test_single_thread");
  EXPECT_EQ(kselftest.tests[0].status, KtapStatus::kPass);
}

}  // namespace
}  // namespace kci::pipeline
