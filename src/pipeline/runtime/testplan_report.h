// SPDX-License-Identifier: LGPL-2.1-or-later
// Test results as a KCIDB v5.3 report (the "tests" of one boot), shared by
// the QEMU and LAVA runtimes.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "pipeline/runtime/testplan.h"
#include "report/model.h"

namespace kci::pipeline {

struct TestRunContext {
  std::string origin = "kci";
  std::string build_id;                 // "kci:..." of the build under test
  std::string run_id;                   // unique per boot; test ids are origin:run_id.path
  std::string start_time;               // RFC 3339
  double duration = 0;                  // seconds
  std::string environment_comment;      // "qemu-x86_64 in lab kci-qemu"
  std::vector<std::string> compatible;  // DT root compatible of the platform
  std::string log_url;
  std::vector<std::pair<std::string, std::string>> output_files;  // name, url
  std::vector<std::pair<std::string, std::string>> misc;          // string values
};

// The tests of one run, typed (report::to_json writes them as KCIDB v5.3).
report::Report make_test_report(const std::vector<TestOutcome>& outcomes,
                                const TestRunContext& context);

// A run id that differs for every boot: hex digest of what was run and when.
std::string make_run_id(const std::string& seed);

// file:// URL of an absolute path (percent-encoding what a URI forbids).
std::string file_url_of_path(const std::string& absolute_path);

}  // namespace kci::pipeline
