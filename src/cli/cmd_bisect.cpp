// SPDX-License-Identifier: LGPL-2.1-or-later
// kci bisect: find the commit that broke a build or a test, with real
// builds and QEMU boots, and check the answer (verify, revert).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "bisect/bisector.h"
#include "bisect/culprit_report.h"
#include "bisect/kernel_step_runner.h"
#include "cli/command.h"
#include "cli/submit_output.h"
#include "report/json.h"
#include "util/file.h"

namespace kci::cli {

namespace {

struct BisectCommandOptions {
  std::string good, bad;
  bisect::KernelStepOptions step;
  bisect::BisectOptions bisect;
  bool no_checks = false;
  std::string json_file;
  std::string kcidb_file;
  std::string submit_url;
  bisect::CulpritReportInput culprit;
  int indent = 2;
};

void add_bisect(CLI::App& root, RunContext& ctx) {
  auto o = std::make_shared<BisectCommandOptions>();
  auto* cmd = root.add_subcommand(
      "bisect",
      "Find the commit that broke a kernel build or test between a good and a bad commit, with "
      "real builds and QEMU boots; check the culprit (verify, revert) and print the result as "
      "JSON");
  cmd->add_option("--source", o->step.source_dir, "The kernel's git work tree (left as it was)")
      ->required();
  cmd->add_option("--good", o->good, "A commit where the test passes (or the build works)")
      ->required();
  cmd->add_option("--bad", o->bad, "A commit where it fails")->required();
  cmd->add_option("--arch", o->step.arch, "Kernel architecture")->default_val("x86_64");
  cmd->add_option("--toolchain", o->step.toolchain, "gcc, clang, gcc-12, ...")
      ->default_val("gcc");
  cmd->add_option("--config", o->step.config, "DEFCONFIG[+FRAGMENT]...")
      ->default_val("tinyconfig");
  cmd->add_option("--build-dir", o->step.build_dir,
                  "Persistent build directory (every step after the first builds incrementally)")
      ->required();
  cmd->add_option("--artifacts", o->step.artifacts_dir, "Artifact store of the steps' builds")
      ->required();
  cmd->add_flag("--build", o->bisect.build_only,
                "Bisect a build failure: the build is the verdict, nothing is booted");
  cmd->add_option("--plan", o->step.plan, "Test plan to run")->default_val("baseline");
  cmd->add_option("--test", o->step.test_path,
                  "Path of the test case that regressed, e.g. baseline.dmesg.crit");
  cmd->add_option("--platform", o->step.platform, "QEMU platform")->default_val("qemu-x86_64");
  cmd->add_option("--boot-timeout", o->step.boot_timeout_seconds, "Seconds per boot")
      ->default_val(120)
      ->check(CLI::Range(1.0, 86400.0));
  cmd->add_option("--runs", o->bisect.runs, "Test runs per step (K)")
      ->default_val(1)
      ->check(CLI::Range(1, 100));
  cmd->add_option("--max-runs", o->bisect.max_runs, "Runs per step once the test shows flaky")
      ->default_val(10)
      ->check(CLI::Range(1, 100));
  cmd->add_option("--retries", o->bisect.infra_retries,
                  "Retries of an infrastructure failure (ERROR/MISS) before a step is skipped")
      ->default_val(3)
      ->check(CLI::Range(0, 20));
  cmd->add_option("--check-runs", o->bisect.check_runs, "Runs of each check")
      ->default_val(3)
      ->check(CLI::Range(1, 20));
  cmd->add_flag("--no-checks", o->no_checks, "Skip the verify and revert checks");
  cmd->add_option("--json", o->json_file, "Also write the result JSON to this file");
  cmd->add_option("--kcidb", o->kcidb_file,
                  "Write the culprit as a KCIDB v5.3 report (an issue and its incidents)");
  cmd->add_option("--incident-test", o->culprit.failing_test_ids,
                  "KCIDB id of a failing test the culprit explains (repeatable)");
  cmd->add_option("--incident-build", o->culprit.failing_build_ids,
                  "KCIDB id of a failing build the culprit explains (repeatable)");
  cmd->add_option("--origin", o->culprit.origin, "KCIDB origin of the culprit issue")
      ->default_val("kci");
  add_submit_option(cmd, o->submit_url);
  cmd->add_option("--indent", o->indent, "Indent output by N spaces, 0 = one line")
      ->default_val(2)
      ->check(CLI::Range(0, 16));
  cmd->callback([o, &ctx] {
    if (!o->bisect.build_only && o->step.test_path.empty()) {
      throw UsageError("kci bisect: --test PATH names the test case to bisect (or give --build)");
    }
    o->bisect.checks = !o->no_checks;
    bisect::KernelStepRunner runner(o->step);
    bisect::Bisector bisector(o->step.source_dir, runner, o->bisect);
    bisect::BisectResult result = bisector.run(o->good, o->bad);
    std::string json = bisect::result_json(result, o->indent) + "\n";
    std::fwrite(json.data(), 1, json.size(), stdout);
    std::fflush(stdout);
    std::string summary = bisect::result_summary(result);
    std::fwrite(summary.data(), 1, summary.size(), stderr);
    if (!o->json_file.empty()) write_file_atomic(o->json_file, json);
    if (result.culprit && (!o->kcidb_file.empty() || !o->submit_url.empty())) {
      o->culprit.test_path = o->bisect.build_only ? "" : o->step.test_path;
      report::Report culprit = bisect::culprit_report(result, o->culprit);
      json::Document doc;
      report::to_json(culprit, doc, false);
      std::string text = json::write(doc, o->indent) + "\n";
      if (!o->kcidb_file.empty()) write_file_atomic(o->kcidb_file, text);
      if (!o->submit_url.empty()) submit_report_text(o->submit_url, text);
    }
    if (result.status == "found") {
      ctx.exit_status = kExitOk;
    } else if (result.status == "aborted") {
      ctx.exit_status = kExitFailure;
    } else {
      ctx.exit_status = kExitInvalidInput;
    }
  });
}

}  // namespace

KCI_COMMAND(65, add_bisect);

}  // namespace kci::cli
