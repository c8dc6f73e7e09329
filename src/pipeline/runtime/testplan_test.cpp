// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/runtime/testplan.h"

#include <gtest/gtest.h>

#include <map>

#include "pipeline/runtime/testplan_report.h"
#include "report/validate.h"
#include "util/file.h"

namespace kci::pipeline {
namespace {

std::map<std::string, TestOutcome> by_path(const std::vector<TestOutcome>& outcomes) {
  std::map<std::string, TestOutcome> out;
  for (const auto& t : outcomes) out[t.path] = t;
  return out;
}

const char* kGoodBaseline =
    "[    0.5] Run /init as init process\n"
    "KCI-INIT: plan=baseline kernel=6.1.192 arch=x86_64\n"
    "KCI-LOGIN: ok\n"
    "KCI-CASE: dmesg.emerg pass 0 lines\n"
    "KCI-DMESG: <1>[    0.1] something alerting\n"
    "KCI-CASE: dmesg.alert fail 1 lines\n"
    "KCI-CASE: dmesg.crit pass 0 lines\n"
    "KCI-DONE\n";

TEST(TestPlan, BaselineResultsFromMarkers) {
  auto r = by_path(evaluate_plan("baseline", kGoodBaseline, BootOutcome{}));
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r["baseline.login"].status, Status::kPass);
  EXPECT_EQ(r["baseline.dmesg.emerg"].status, Status::kPass);
  EXPECT_EQ(r["baseline.dmesg.alert"].status, Status::kFail);
  EXPECT_EQ(r["baseline.dmesg.alert"].number, 1.0);
  EXPECT_EQ(r["baseline.dmesg.alert"].unit, "lines");
  EXPECT_EQ(r["baseline.dmesg.alert"].log_excerpt, "<1>[    0.1] something alerting\n");
  EXPECT_EQ(r["baseline.dmesg.crit"].status, Status::kPass);
}

TEST(TestPlan, PanicBeforeLoginIsAKernelFailure) {
  std::string console =
      read_file(std::string(KCI_SOURCE_DIR) + "/tests/runtime/fixtures/console/x86-panic.log");
  auto r = by_path(evaluate_plan("baseline", console, BootOutcome{}));
  EXPECT_EQ(r["baseline.login"].status, Status::kFail);
  EXPECT_NE(r["baseline.login"].log_excerpt.find("Kernel panic - not syncing: kci: injected"),
            std::string::npos);
  EXPECT_EQ(r["baseline.dmesg.emerg"].status, Status::kMiss);
}

TEST(TestPlan, HangIsNeverAFailure) {
  BootOutcome hung;
  hung.timed_out = true;
  hung.timeout_seconds = 10;
  auto r = by_path(evaluate_plan("baseline", "[ 0.5] Run /init as init process\n", hung));
  EXPECT_EQ(r["baseline.login"].status, Status::kError);
  EXPECT_EQ(r["baseline.dmesg.crit"].status, Status::kMiss);
}

TEST(TestPlan, MissingEmulatorMissesEverything) {
  BootOutcome none;
  none.started = false;
  none.infrastructure_error = "qemu-system-x86_64 is not installed";
  for (const auto& t : evaluate_plan("baseline", "", none)) EXPECT_EQ(t.status, Status::kMiss);
  auto k = evaluate_plan("kunit", "", none);
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].status, Status::kMiss);
}

TEST(TestPlan, KunitCasesFromConsole) {
  std::string console =
      read_file(std::string(KCI_SOURCE_DIR) + "/tests/runtime/fixtures/ktap/kunit-example-6.1.log");
  auto r = by_path(evaluate_plan("kunit", console, BootOutcome{}));
  EXPECT_EQ(r["kunit.example"].status, Status::kFail);
  EXPECT_EQ(r["kunit.example.example_simple_test"].status, Status::kPass);
  EXPECT_EQ(r["kunit.example.example_skip_test"].status, Status::kSkip);
  EXPECT_EQ(r["kunit.example.example_failing_test"].status, Status::kFail);
  EXPECT_NE(r["kunit.example.example_failing_test"].log_excerpt.find("EXPECTATION FAILED"),
            std::string::npos);
  EXPECT_EQ(r["kunit.example.example_params_test.example_value_2"].status, Status::kPass);
  EXPECT_EQ(r["kunit.example.example_params_test.example_value_1"].status, Status::kSkip);
}

TEST(TestPlan, KunitCrashWithPanicIsAFailure) {
  std::string console =
      read_file(std::string(KCI_SOURCE_DIR) + "/tests/runtime/fixtures/ktap/crash-mid-suite.log");
  auto r = by_path(evaluate_plan("kunit", console, BootOutcome{}));
  EXPECT_EQ(r["kunit.first_suite.case_a"].status, Status::kPass);
  EXPECT_EQ(r["kunit.crashing_suite"].status, Status::kFail);
  EXPECT_NE(r["kunit.crashing_suite"].log_excerpt.find("BUG: kernel NULL pointer"),
            std::string::npos);
}

TEST(TestPlan, InitScriptsPrintTheMarkers) {
  std::string script = busybox_init_script("baseline");
  EXPECT_EQ(script.rfind("#!/bin/busybox sh\n", 0), 0u);
  EXPECT_NE(script.find("KCI-LOGIN: ok"), std::string::npos);
  EXPECT_NE(script.find("dmesg.$name"), std::string::npos);
  EXPECT_NE(static_init_source("baseline").find("klogctl"), std::string::npos);
  EXPECT_EQ(static_init_source("kunit").find("klogctl"), std::string::npos);
}

TEST(TestPlan, PathParts) {
  EXPECT_EQ(test_path_part("example value 1"), "example_value_1");
  EXPECT_EQ(test_path_part("a.b-c_d"), "a_b-c_d");
}

TEST(TestPlanReport, KcidbTestFields) {
  TestRunContext context;
  context.build_id = "kci:build1";
  context.run_id = "abc";
  context.start_time = "2026-11-24T02:00:00.000000+00:00";
  context.duration = 1.5;
  context.environment_comment = "qemu-x86_64 in lab kci-qemu";
  context.log_url = "file:///a/b.log";
  context.output_files = {{"b.log", "file:///a/b.log"}};
  context.misc = {{"qemu_command", "qemu-system-x86_64 ..."}};
  auto outcomes = evaluate_plan("baseline", kGoodBaseline, BootOutcome{});
  json::Document doc;
  report::to_json(make_test_report(outcomes, context), doc, false);
  ASSERT_TRUE(doc["tests"].IsArray());
  ASSERT_EQ(doc["tests"].Size(), 4u);
  const json::Value& alert = doc["tests"][2];
  EXPECT_EQ(json::str(alert["id"]), "kci:abc.baseline.dmesg.alert");
  EXPECT_EQ(json::str(alert["build_id"]), "kci:build1");
  EXPECT_EQ(json::str(alert["status"]), "FAIL");
  EXPECT_EQ(alert["number"]["value"].GetDouble(), 1.0);
  EXPECT_EQ(json::str(alert["environment"]["comment"]), "qemu-x86_64 in lab kci-qemu");
  EXPECT_EQ(json::str(alert["misc"]["qemu_command"]), "qemu-system-x86_64 ...");
  EXPECT_EQ(doc["version"]["minor"].GetInt(), 3);
  report::ValidationResult valid = report::validate_report(doc);
  EXPECT_TRUE(valid.ok()) << (valid.ok() ? "" : valid.errors.front().str());
  EXPECT_EQ(file_url_of_path("/a b/c"), "file:///a%20b/c");
}

}  // namespace
}  // namespace kci::pipeline
