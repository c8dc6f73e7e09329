// SPDX-License-Identifier: LGPL-2.1-or-later
// kci bisect: find the commit that broke a build or a test, with real
// builds and QEMU boots, and check the answer (verify, revert): between two
// commits, for one regression of the analysis tables (--regression), or for
// every new regression of the trees kci builds (--auto, bisect/auto_bisect.h).
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <memory>

#include "analysis/schema.h"
#include "bisect/auto_bisect.h"
#include "bisect/bisector.h"
#include "bisect/command_step_runner.h"
#include "bisect/culprit_report.h"
#include "bisect/kernel_step_runner.h"
#include "bisect/regression_request.h"
#include "cli/command.h"
#include "cli/fragment_lookup.h"
#include "cli/submit_output.h"
#include "ingest/loader.h"
#include "report/json.h"
#include "store/sql.h"
#include "store/store.h"
#include "util/file.h"
#include "util/log.h"

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
  std::vector<std::string> pipeline_config_files;
  // --regression / --auto
  std::string regression;
  bool automatic = false;
  std::optional<std::string> database;
  bool store_culprit = false;
  std::vector<std::string> trees;
  int max_bisections = 0;
  double lease_hours = 24;
  std::string worker;
  // --run: the user's command decides instead of kbuild and QEMU.
  std::string run_command;
  double run_timeout_seconds = 3600;
};

bisect::CommandStepOptions command_options(const BisectCommandOptions& o, bool build_only) {
  bisect::CommandStepOptions c;
  c.source_dir = o.step.source_dir;
  c.command = o.run_command;
  c.build_only = build_only;
  c.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(o.run_timeout_seconds * 1000));
  return c;
}

// --auto --run: the command for every request, told the request's build
// configuration and test through its environment.
bisect::StepRunnerFactory command_step_runner_factory(const BisectCommandOptions& o) {
  bisect::CommandStepOptions base = command_options(o, false);
  bisect::KernelStepOptions step = o.step;
  return [base, step](const bisect::BisectRequest& request) -> std::unique_ptr<bisect::StepRunner> {
    bisect::CommandStepOptions c = base;
    c.build_only = request.build_only;
    c.env = bisect::command_environment(bisect::step_options(request, step), request.build_only);
    c.env["KCI_BISECT_REGRESSION"] = request.regression_id;
    if (!request.tree_name.empty()) c.env["KCI_BISECT_TREE"] = request.tree_name;
    return std::make_unique<bisect::CommandStepRunner>(std::move(c));
  };
}

// --auto: the queue of automatic bisections until it is empty.
void run_auto(BisectCommandOptions& o, RunContext& ctx) {
  auto spec = store::database_spec_from(o.database);
  auto st = store::open_store(spec);
  auto sql = store::SqlConnection::open(spec);
  analysis::migrate(*sql);
  bisect::AutoBisectOptions options;
  options.source_dir = o.step.source_dir;
  options.origin = o.culprit.origin;
  options.trees = o.trees;
  options.bisect = o.bisect;
  options.worker = o.worker;
  options.lease_seconds = static_cast<std::int64_t>(o.lease_hours * 3600);
  options.max_bisections = o.max_bisections;
  bisect::AutoBisectStats stats = bisect::run_pending(
      *sql, *st,
      o.run_command.empty() ? bisect::kernel_step_runner_factory(o.step)
                            : command_step_runner_factory(o),
      options, [](const std::string& line) { log::info("kci bisect: " + line); });
  // stdout: the bisections run, each as its table row.
  bisect::BisectionTable table(*sql);
  json::Document doc;
  doc.SetArray();
  auto& a = doc.GetAllocator();
  for (std::int64_t id : stats.ids) {
    auto r = table.get(id);
    if (!r) continue;
    json::Value v(rapidjson::kObjectType);
    v.AddMember("id", r->id, a);
    v.AddMember("regression", json::Value(r->regression_id.c_str(), a), a);
    v.AddMember("state", json::Value(r->state.c_str(), a), a);
    v.AddMember("status", json::Value(r->status.c_str(), a), a);
    v.AddMember("culprit", json::Value(r->culprit.c_str(), a), a);
    v.AddMember("issue", json::Value(r->issue_id.c_str(), a), a);
    if (!r->error.empty()) v.AddMember("error", json::Value(r->error.c_str(), a), a);
    doc.PushBack(v, a);
  }
  std::string text = json::write(doc, o.indent) + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fprintf(stderr, "kci: %s\n", stats.describe().c_str());
  ctx.exit_status = stats.failed ? kExitFailure : kExitOk;
}

void add_bisect(CLI::App& root, RunContext& ctx) {
  auto o = std::make_shared<BisectCommandOptions>();
  auto* cmd = root.add_subcommand(
      "bisect",
      "Find the commit that broke a kernel build or test between a good and a bad commit, with "
      "real builds and QEMU boots (or any command: --run); check the culprit (verify, revert) "
      "and print the result as JSON");
  cmd->add_option("--source", o->step.source_dir, "The kernel's git work tree (left as it was)")
      ->required();
  cmd->add_option("--good", o->good, "A commit where the test passes (or the build works)");
  cmd->add_option("--bad", o->bad, "A commit where it fails");
  cmd->add_option("--regression", o->regression,
                  "Bisect this regression of the analysis tables (kci regressions): its last "
                  "pass and first failure, its failing build's configuration and its test; "
                  "needs -d");
  cmd->add_flag("--auto", o->automatic,
                "Queue every new regression of the trees kci builds (not unstable, not a known "
                "issue; once each) and run the queued bisections until none is left; needs -d");
  cmd->add_option("-d,--database", o->database,
                  "Database for --regression and --auto: sqlite:PATH or postgresql:CONNINFO "
                  "(default: $KCI_DATABASE)");
  cmd->add_flag("--store", o->store_culprit,
                "With --regression: load the culprit issue and its incidents into the database");
  cmd->add_option("--tree", o->trees,
                  "With --auto: only regressions of this tree name (repeatable; the source tree "
                  "must hold its commits)");
  cmd->add_option("--max", o->max_bisections, "With --auto: run at most N bisections (0: all)")
      ->default_val(0)
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--lease", o->lease_hours,
                  "With --auto: hours a claimed bisection is held before another worker may "
                  "take it over")
      ->default_val(24)
      ->check(CLI::Range(0.01, 10000.0));
  cmd->add_option("--worker", o->worker, "With --auto: the claims' owner (default HOST:PID)");
  cmd->add_option("--arch", o->step.arch, "Kernel architecture")->default_val("x86_64");
  cmd->add_option("--toolchain", o->step.toolchain, "gcc, clang, gcc-12, ...")->default_val("gcc");
  cmd->add_option("--config", o->step.config, "DEFCONFIG[+FRAGMENT]...")->default_val("tinyconfig");
  cmd->add_option("--pipeline-config", o->pipeline_config_files,
                  "Pipeline configuration file(s) naming the config fragments (repeatable; "
                  "default: $KCI_CONFIG, else config/kci.yaml when it exists)");
  cmd->add_option("--build-dir", o->step.build_dir,
                  "Persistent build directory (every step after the first builds incrementally; "
                  "required unless --run)");
  cmd->add_option("-j,--jobs", o->step.jobs, "make -j for the step builds (default: one per CPU)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--artifacts", o->step.artifacts_dir,
                  "Artifact store of the steps' builds (required unless --run)");
  cmd->add_option("--run", o->run_command,
                  "Instead of kbuild and QEMU: run CMD with /bin/sh in the source tree at each "
                  "commit, as git bisect run does (exit 0 good, 125 untestable, 1-127 bad, 128 "
                  "or more or a signal: infrastructure failure, retried); the test, or with "
                  "--build the build");
  cmd->add_option("--run-timeout", o->run_timeout_seconds,
                  "With --run: seconds per run of CMD (an infrastructure failure after it)")
      ->default_val(3600)
      ->check(CLI::Range(0.1, 864000.0));
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
    o->bisect.checks = !o->no_checks;
    o->step.fragment_lookup = fragment_lookup(o->pipeline_config_files);
    int modes = !o->regression.empty() + o->automatic + (!o->good.empty() || !o->bad.empty());
    if (modes != 1) {
      throw UsageError("kci bisect: give --good and --bad, or --regression ID, or --auto");
    }
    if (o->run_command.empty() && (o->step.build_dir.empty() || o->step.artifacts_dir.empty())) {
      throw UsageError("kci bisect: --build-dir and --artifacts are required (unless --run CMD)");
    }
    if (o->automatic) {
      run_auto(*o, ctx);
      return;
    }
    std::unique_ptr<store::Store> st;
    if (!o->regression.empty()) {
      auto spec = store::database_spec_from(o->database);
      st = store::open_store(spec);
      auto sql = store::SqlConnection::open(spec);
      analysis::migrate(*sql);
      bisect::BisectRequest request = bisect::regression_request(*sql, *st, o->regression);
      o->good = request.good;
      o->bad = request.bad;
      o->bisect.build_only = request.build_only;
      o->step = bisect::step_options(request, o->step);
      bisect::CulpritReportInput input = bisect::culprit_input(request, o->culprit.origin);
      for (const auto& id : o->culprit.failing_test_ids) input.failing_test_ids.push_back(id);
      for (const auto& id : o->culprit.failing_build_ids) input.failing_build_ids.push_back(id);
      o->culprit = input;
      log::info("kci bisect: regression " + request.regression_id + ": " + request.good + ".." +
                request.bad + " " + request.arch + " " + request.config + " " + request.toolchain +
                (request.build_only ? "" : " " + request.test_path + " on " + request.platform));
    } else if (o->good.empty() || o->bad.empty()) {
      throw UsageError("kci bisect: --good and --bad go together");
    } else if (o->store_culprit) {
      throw UsageError("kci bisect: --store goes with --regression");
    }
    if (!o->bisect.build_only && o->step.test_path.empty() && o->run_command.empty()) {
      throw UsageError(
          "kci bisect: --test PATH names the test case to bisect (or give --build, or --run)");
    }
    // A build bisection's checks rebuild: the build is what they repeat.
    o->step.rebuild_in_checks = o->bisect.build_only;
    std::unique_ptr<bisect::StepRunner> runner;
    if (o->run_command.empty()) {
      runner = std::make_unique<bisect::KernelStepRunner>(o->step);
    } else {
      bisect::CommandStepOptions c = command_options(*o, o->bisect.build_only);
      // --regression: the command is told what the regression's build and test are.
      if (!o->regression.empty()) {
        c.env = bisect::command_environment(o->step, c.build_only);
        c.env["KCI_BISECT_REGRESSION"] = o->regression;
      }
      runner = std::make_unique<bisect::CommandStepRunner>(std::move(c));
    }
    bisect::Bisector bisector(o->step.source_dir, *runner, o->bisect);
    bisect::BisectResult result = bisector.run(o->good, o->bad);
    std::string json = bisect::result_json(result, o->indent) + "\n";
    std::fwrite(json.data(), 1, json.size(), stdout);
    std::fflush(stdout);
    std::string summary = bisect::result_summary(result);
    std::fwrite(summary.data(), 1, summary.size(), stderr);
    if (!o->json_file.empty()) write_file_atomic(o->json_file, json);
    if (result.culprit && (!o->kcidb_file.empty() || !o->submit_url.empty() || o->store_culprit)) {
      o->culprit.test_path = o->bisect.build_only ? "" : o->step.test_path;
      report::Report culprit = bisect::culprit_report(result, o->culprit);
      if (st && o->store_culprit) ingest::Loader(*st).load(culprit);
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
