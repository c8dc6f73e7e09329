// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/lava/lava.h"

#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

#include <map>

#include "report/validate.h"
#include "util/file.h"

namespace kci::pipeline {
namespace {

// The report as KCIDB JSON, as the runtime submits it.
json::Document kcidb(const report::Report& r) {
  json::Document doc;
  report::to_json(r, doc, false);
  return doc;
}

std::map<std::string, TestOutcome> by_path(const std::vector<TestOutcome>& outcomes) {
  std::map<std::string, TestOutcome> out;
  for (const auto& t : outcomes) out[t.path] = t;
  return out;
}

std::string callback_fixture() {
  // A copy of ../shared/kernelci-configs/fixtures/lava-callback-meson-gxbb-p200.json.
  return read_file(std::string(KCI_SOURCE_DIR) +
                   "/tests/runtime/fixtures/lava/lava-callback-meson-gxbb-p200.json");
}

// The real callback of LAVA job 370874 (lab-baylibre, meson-gxbb-p200,
// baseline on next-20201119). Worked out by hand from the file:
//  - results.lava: 19 LAVA actions, all "pass", among them login-action
//    -> baseline.login PASS (the lava suite gives no other tests)
//  - results.0_dmesg: emerg fail (measurement 2 lines), alert pass (0),
//    crit pass (0) -> baseline.dmesg.{emerg FAIL 2 lines, alert PASS, crit PASS}
//  - results.1_bootrr: deferred-probe-empty pass
//    -> baseline.bootrr.deferred-probe-empty PASS
//  - job metadata test.plan = baseline; status 2 = "complete"; 570 log
//    lines have lvl "target" (the console).
TEST(LavaCallback, RealBaselineCallback) {
  std::string body = callback_fixture();
  LavaCallbackOptions options;
  options.build_id = "kci:next-20201119-arm64-defconfig-gcc-8";
  LavaJobResults job = parse_lava_callback(body, options);
  EXPECT_EQ(job.job_id, 370874);
  EXPECT_EQ(job.status, "complete");
  EXPECT_EQ(job.plan, "baseline");
  EXPECT_EQ(job.lab, "lab-baylibre");
  EXPECT_EQ(job.device, "meson-gxbb-p200-01");
  EXPECT_EQ(job.start_time, "2020-11-19T07:03:22.470908+00:00");
  EXPECT_NEAR(job.duration, 175.9, 0.1);
  ASSERT_EQ(job.outcomes.size(), 5u);
  auto r = by_path(job.outcomes);
  EXPECT_EQ(r["baseline.login"].status, Status::kPass);
  EXPECT_EQ(r["baseline.dmesg.emerg"].status, Status::kFail);
  EXPECT_EQ(r["baseline.dmesg.emerg"].number, 2.0);
  EXPECT_EQ(r["baseline.dmesg.emerg"].unit, "lines");
  EXPECT_EQ(r["baseline.dmesg.alert"].status, Status::kPass);
  EXPECT_EQ(r["baseline.dmesg.crit"].status, Status::kPass);
  EXPECT_EQ(r["baseline.bootrr.deferred-probe-empty"].status, Status::kPass);
  // The console is the target lines.
  EXPECT_NE(job.console.find("Connected to 127.0.0.1."), std::string::npos);
  report::ValidationResult valid = report::validate_report(kcidb(job.report));
  EXPECT_TRUE(valid.ok()) << (valid.ok() ? "" : valid.errors.front().str());
  json::Document doc = kcidb(job.report);
  const json::Value& tests = doc["tests"];
  ASSERT_EQ(tests.Size(), 5u);
  EXPECT_EQ(json::str(tests[0]["build_id"]), options.build_id);
  EXPECT_EQ(json::str(tests[0]["environment"]["comment"]),
            "meson-gxbb-p200-01 in lab lab-baylibre (LAVA)");
}

const char* kIncompleteJob = R"({
  "id": 7, "status": 3, "status_string": "incomplete", "lab_name": "lab-test",
  "start_time": "2026-11-24 01:00:00+00:00", "end_time": "2026-11-24 01:01:00+00:00",
  "definition": "device_type: qemu\nmetadata: {kci.build_id: 'kci:b1', test.plan: baseline}\n",
  "log": "- {\"dt\": \"2026-11-24T01:00:01\", \"lvl\": \"target\", \"msg\": \"Booting\"}\n",
  "results": {"lava": "- {suite: lava, name: http-download, result: fail, measurement: None, unit: '', metadata: {case: http-download, error_type: Infrastructure, error_msg: 404}}\n- {suite: lava, name: job, result: fail, measurement: None, unit: '', metadata: {case: job, error_type: Infrastructure, error_msg: download failed}}\n"}
})";

// KernelCI reports LAVA infrastructure errors as ERROR (kernelci-pipeline#1154).
TEST(LavaCallback, InfrastructureErrorIsErrorNeverFail) {
  LavaJobResults job = parse_lava_callback(kIncompleteJob, {});
  EXPECT_EQ(job.build_id, "kci:b1");
  ASSERT_EQ(job.outcomes.size(), 1u);
  EXPECT_EQ(job.outcomes[0].path, "baseline.login");
  EXPECT_EQ(job.outcomes[0].status, Status::kError);
  EXPECT_NE(job.outcomes[0].comment.find("Infrastructure"), std::string::npos);
  EXPECT_TRUE(report::validate_report(kcidb(job.report)).ok());
}

// The login action itself failed on the lab's side.
const char* kLoginInfrastructureJob = R"({
  "id": 9, "status": 3, "status_string": "incomplete",
  "definition": "device_type: qemu\nmetadata: {kci.build_id: 'kci:b1', test.plan: baseline}\n",
  "results": {"lava": "- {suite: lava, name: auto-login-action, result: fail, measurement: None, unit: '', metadata: {case: auto-login-action, error_type: Configuration, error_msg: bad prompt}}\n"}
})";

TEST(LavaCallback, LoginInfrastructureErrorIsError) {
  LavaJobResults job = parse_lava_callback(kLoginInfrastructureJob, {});
  ASSERT_EQ(job.outcomes.size(), 1u);
  EXPECT_EQ(job.outcomes[0].status, Status::kError);
  EXPECT_NE(job.outcomes[0].comment.find("Configuration: bad prompt"), std::string::npos);
}

// A kci initramfs that never came up because the lab failed: every case of
// the plan is ERROR, none MISS (and none FAIL).
const char* kKciInfrastructureJob = R"({
  "id": 10, "status": 3, "status_string": "incomplete",
  "definition": "device_type: qemu\nmetadata: {kci.build_id: 'kci:b1', test.plan: baseline}\n",
  "log": "- {\"dt\": \"2026-11-24T01:00:01\", \"lvl\": \"target\", \"msg\": \"KCI-INIT: plan=baseline\"}\n",
  "results": {"lava": "- {suite: lava, name: job, result: fail, measurement: None, unit: '', metadata: {case: job, error_type: Infrastructure, error_msg: power cycle failed}}\n"}
})";

TEST(LavaCallback, KciPlanUnderAnInfrastructureErrorIsError) {
  LavaJobResults job = parse_lava_callback(kKciInfrastructureJob, {});
  ASSERT_FALSE(job.outcomes.empty());
  for (const TestOutcome& t : job.outcomes) {
    EXPECT_EQ(t.status, Status::kError) << t.path;
  }
  EXPECT_NE(job.outcomes[0].comment.find("power cycle failed"), std::string::npos);
  EXPECT_TRUE(report::validate_report(kcidb(job.report)).ok());
}

// A kci initramfs under LAVA: the console markers decide, as with QEMU.
const char* kKciJob = R"({
  "id": 8, "status": 2, "status_string": "complete",
  "definition": "device_type: qemu\nmetadata: {kci.build_id: 'kci:b1', test.plan: baseline}\n",
  "log": "- {\"dt\": \"2026-11-24T01:00:01\", \"lvl\": \"target\", \"msg\": \"KCI-INIT: plan=baseline\"}\n- {\"dt\": \"2026-11-24T01:00:01\", \"lvl\": \"target\", \"msg\": \"KCI-LOGIN: ok\"}\n- {\"dt\": \"2026-11-24T01:00:01\", \"lvl\": \"target\", \"msg\": \"KCI-CASE: dmesg.emerg pass 0 lines\"}\n- {\"dt\": \"2026-11-24T01:00:02\", \"lvl\": \"results\", \"msg\": {\"definition\": \"lava\", \"case\": \"job\", \"result\": \"pass\"}}\n"
})";

TEST(LavaCallback, KciMarkersOnTheConsoleAreEvaluatedLikeQemu) {
  LavaJobResults job = parse_lava_callback(kKciJob, {});
  auto r = by_path(job.outcomes);
  EXPECT_EQ(r["baseline.login"].status, Status::kPass);
  EXPECT_EQ(r["baseline.dmesg.emerg"].status, Status::kPass);
  EXPECT_EQ(r["baseline.dmesg.crit"].status, Status::kError);  // started, never reported
}

// What lava-run wrote for a kci job: the same entries as output.yaml and as
// the JSON lines it prints on stderr (with a Python warning between them).
const char* kRunDefinition =
    "device_type: qemu\nmetadata: {kci.build_id: 'kci:b1', test.plan: baseline}\n";
const char* kRunEntries[] = {
    R"({"dt": "2026-11-24T01:00:01.000000", "lvl": "target", "msg": "KCI-INIT: plan=baseline"})",
    R"({"dt": "2026-11-24T01:00:01.500000", "lvl": "target", "msg": "KCI-LOGIN: ok"})",
    R"({"dt": "2026-11-24T01:00:02.000000", "lvl": "target", "msg": "KCI-CASE: dmesg.emerg fail 2 lines"})",
    R"({"dt": "2026-11-24T01:00:03.000000", "lvl": "results", "msg": {"definition": "lava", "case": "job", "result": "pass"}})",
};

// A log entry without "msg" is skipped; before, yaml-cpp's node for the
// missing key threw YAML::InvalidNode out of the parser, which ended the
// server's request thread's handling with a 500 instead of reading the
// rest (fuzz/regressions/lava/).
TEST(LavaCallback, LogEntryWithoutMsgIsSkipped) {
  std::string body = R"({"id": 7, "status": 2, "definition": "device_type: qemu\n",
    "log": "- {\"dt\": \"2020-11-19T07:03:25\", \"lvl\": \"target\"}\n- {\"dt\": \"2020-11-19T07:03:26\", \"lvl\": \"target\", \"msg\": \"login:\"}\n",
    "results": {}})";
  LavaCallbackOptions options;
  options.build_id = "kci:b1";
  LavaJobResults job = parse_lava_callback(body, options);
  EXPECT_EQ(job.job_id, 7);
  EXPECT_EQ(job.console, "login:\n");
}

TEST(LavaRun, StderrLinesAndOutputYamlGiveTheSameResults) {
  std::string yaml;
  std::string stderr_log = "/usr/lib/python3/dist-packages/x.py:1: DeprecationWarning: old\n";
  for (const char* entry : kRunEntries) {
    yaml += std::string("- ") + entry + "\n";
    stderr_log += std::string(entry) + "\n";
  }
  LavaJobResults from_yaml = parse_lava_run_output(yaml, kRunDefinition, {});
  LavaJobResults from_stderr = parse_lava_run_output(stderr_log, kRunDefinition, {});
  auto a = by_path(from_yaml.outcomes);
  auto b = by_path(from_stderr.outcomes);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [path, outcome] : a) EXPECT_EQ(b[path].status, outcome.status) << path;
  EXPECT_EQ(a["baseline.login"].status, Status::kPass);
  EXPECT_EQ(a["baseline.dmesg.emerg"].status, Status::kFail);
  EXPECT_EQ(from_stderr.status, "complete");
  EXPECT_EQ(from_stderr.start_time, from_yaml.start_time);
  EXPECT_DOUBLE_EQ(from_stderr.duration, 2.0);
  EXPECT_NE(from_stderr.console.find("KCI-LOGIN: ok"), std::string::npos);
  EXPECT_EQ(from_stderr.console.find("DeprecationWarning"), std::string::npos);
  EXPECT_TRUE(report::validate_report(kcidb(from_stderr.report)).ok());
}

TEST(LavaCallback, Token) {
  EXPECT_TRUE(verify_callback_token("s3cret", "s3cret"));
  EXPECT_FALSE(verify_callback_token("s3cre", "s3cret"));
  EXPECT_FALSE(verify_callback_token("Token s3cret", "s3cret"));
  EXPECT_FALSE(verify_callback_token("", ""));
}

TEST(LavaJob, QemuJobDefinition) {
  LavaJobRequest request;
  request.platform = builtin_lava_platforms()[0];
  request.kernel_url = "https://storage.example.org/x86_64/bzImage";
  request.ramdisk_url = "https://storage.example.org/rootfs/initramfs-x86_64.cpio.gz";
  request.callback_url = "https://kci.example.org/lava/callback";
  request.metadata["kci.build_id"] = "kci:b1";
  YAML::Node job = YAML::Load(generate_lava_job(request));
  EXPECT_EQ(job["device_type"].as<std::string>(), "qemu");
  EXPECT_EQ(job["context"]["arch"].as<std::string>(), "x86_64");
  EXPECT_TRUE(job["context"]["no_kvm"].as<bool>());
  EXPECT_EQ(job["notify"]["callback"]["dataset"].as<std::string>(), "all");
  EXPECT_EQ(job["notify"]["callback"]["token"].as<std::string>(), "kci-callback");
  EXPECT_EQ(job["notify"]["criteria"]["status"].as<std::string>(), "finished");
  EXPECT_EQ(job["metadata"]["kci.build_id"].as<std::string>(), "kci:b1");
  const YAML::Node deploy = job["actions"][0]["deploy"];
  EXPECT_EQ(deploy["to"].as<std::string>(), "tmpfs");
  EXPECT_EQ(deploy["images"]["kernel"]["url"].as<std::string>(), request.kernel_url);
  EXPECT_NE(deploy["images"]["kernel"]["image_arg"].as<std::string>().find("console=ttyS0"),
            std::string::npos);
  EXPECT_EQ(job["actions"][1]["boot"]["method"].as<std::string>(), "qemu");
}

TEST(LavaJob, UbootBoardFromPlatformsFile) {
  auto platforms = load_lava_platforms(
      "platforms:\n"
      "  meson-gxbb-p200:\n"
      "    arch: arm64\n"
      "    boot_method: u-boot\n"
      "    console: ttyAML0\n"
      "    dtb: dtbs/amlogic/meson-gxbb-p200.dtb\n"
      "    compatible: [\"amlogic,meson-gxbb-p200\", \"amlogic,meson-gxbb\"]\n",
      "platforms.yaml");
  ASSERT_EQ(platforms.size(), 4u);
  LavaJobRequest request;
  request.platform = platforms[3];
  request.kernel_url = "https://s/Image";
  request.ramdisk_url = "https://s/initramfs.cpio.gz";
  request.dtb_url = "https://s/dtbs/amlogic/meson-gxbb-p200.dtb";
  YAML::Node job = YAML::Load(generate_lava_job(request));
  EXPECT_EQ(job["device_type"].as<std::string>(), "meson-gxbb-p200");
  EXPECT_FALSE(job["context"]);
  EXPECT_FALSE(job["notify"]);
  const YAML::Node deploy = job["actions"][0]["deploy"];
  EXPECT_EQ(deploy["to"].as<std::string>(), "tftp");
  EXPECT_EQ(deploy["dtb"]["url"].as<std::string>(), request.dtb_url);
  EXPECT_EQ(deploy["kernel"]["type"].as<std::string>(), "image");
  EXPECT_EQ(job["actions"][1]["boot"]["method"].as<std::string>(), "u-boot");
  EXPECT_EQ(job["metadata"]["platform.compatible"].as<std::string>(),
            "amlogic,meson-gxbb-p200 amlogic,meson-gxbb");
  EXPECT_THROW(load_lava_platforms("platforms: {x: {boot_method: u-boot}}", "p"), Error);
}

}  // namespace
}  // namespace kci::pipeline
