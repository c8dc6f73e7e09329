// SPDX-License-Identifier: LGPL-2.1-or-later
// The LAVA runtime: job definitions for LAVA labs (QEMU device type and real
// boards booted by u-boot over TFTP), the results LAVA sends back in its
// notify callback, and the results lava-run writes in its log.
//
// A kci job boots the kernel with kci's initramfs, whose /init runs the test
// plan and prints markers on the console (see testplan.h), so the same
// evaluation as the QEMU runtime applies to the LAVA console. Jobs that run
// LAVA test definitions (KernelCI's baseline: 0_dmesg, 1_bootrr) have their
// result suites mapped too. LAVA's own "lava" suite only says whether the
// infrastructure worked: its errors become ERROR (as KernelCI's, see
// kernelci-pipeline#1154), never FAIL.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/runtime/testplan.h"
#include "report/json.h"
#include "report/model.h"

namespace kci::pipeline {

// A device LAVA can run kci jobs on.
struct LavaPlatform {
  std::string name;                            // qemu-x86_64, meson-gxbb-p200
  std::string device_type;                     // qemu, meson-gxbb-p200
  std::string arch;                            // kernel arch: x86_64, arm64, riscv64
  std::string boot_method;                     // qemu | u-boot
  std::string console;                         // ttyS0, ttyAMA0, ttyAML0
  std::string dtb;                             // path of the dtb in the artifacts (u-boot boards)
  std::vector<std::string> compatible;         // DT root compatible
  std::map<std::string, std::string> context;  // LAVA job context (qemu)
  std::vector<std::string> extra_options;      // context.extra_options (qemu)
};

// The QEMU platforms (qemu-x86_64, qemu-arm64, qemu-riscv64) plus those of
// a platforms file ("platforms: {name: {device_type, arch, boot_method,
// console, dtb, compatible, context}}"). Throws InvalidInputError on a bad
// file.
std::vector<LavaPlatform> builtin_lava_platforms();
std::vector<LavaPlatform> load_lava_platforms(std::string_view yaml_text,
                                              const std::string& source);

struct LavaJobRequest {
  LavaPlatform platform;
  std::string plan = "baseline";
  std::string job_name;
  std::string kernel_url;
  std::string ramdisk_url;
  std::string dtb_url;                          // u-boot boards
  std::string callback_url;                     // empty = no notify block
  std::string callback_token = "kci-callback";  // token *name* in LAVA
  std::string priority = "medium";
  int timeout_minutes = 10;
  std::map<std::string, std::string> metadata;  // kci.build_id, test.plan, ...
};

// The LAVA job definition (YAML text).
std::string generate_lava_job(const LavaJobRequest& request);

// LAVA sends the token's secret as the whole value of the header
// (Authorization by default). Compared in constant time.
bool verify_callback_token(std::string_view header_value, std::string_view secret);

struct LavaCallbackOptions {
  std::string origin = "kci";
  std::string build_id;  // default: the job's kci.build_id metadata
  std::string plan;      // default: the job's test.plan metadata, else "baseline"
  std::string log_url;   // where the console log will be published
};

struct LavaJobResults {
  long long job_id = 0;
  std::string status;  // complete, incomplete, canceled
  std::string device;  // actual_device_id / device type
  std::string lab;
  std::string plan;
  std::string build_id;
  std::string start_time;  // RFC 3339
  double duration = 0;
  std::string console;                  // the serial console: the "target" log lines
  std::vector<std::string> compatible;  // from the job metadata, if any
  std::vector<TestOutcome> outcomes;
  report::Report report;  // the tests (report::to_json: KCIDB v5.3)
};

// Parses a LAVA notify callback body (dataset "all", content-type json).
// Throws InvalidInputError when it is not one.
LavaJobResults parse_lava_callback(std::string_view body, const LavaCallbackOptions& options);

// The same from what lava-run wrote: its log, either as output.yaml (a YAML
// list of {dt, lvl, msg}; results are the lvl "results" entries) or as the
// JSON lines lava-run prints on stderr, and the job definition it ran.
LavaJobResults parse_lava_run_output(std::string_view log_yaml, std::string_view definition_yaml,
                                     const LavaCallbackOptions& options);

}  // namespace kci::pipeline
