// SPDX-License-Identifier: LGPL-2.1-or-later
// kci test: boot a built kernel in QEMU, run a test plan in it, print the
// results as a KCIDB v5.3 report. (Named cmd_tests.cpp: src/cli globs out
// *_test.cpp as unit tests.)
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "cli/command.h"
#include "cli/submit_output.h"
#include "pipeline/runtime/qemu.h"
#include "pipeline/runtime/testplan.h"
#include "report/json.h"
#include "util/file.h"

namespace kci::cli {

namespace {

struct TestCommandOptions {
  std::string submit_url;  // --submit
  pipeline::QemuTestOptions run;
  std::string build_id;
  std::string init_file;
  int indent = 4;
};

// Exit status from the verdicts: a kernel or test failure is 1 (like a
// failed build), trouble running the tests is 3.
int exit_status_of(const std::vector<pipeline::TestOutcome>& outcomes) {
  bool failed = false;
  bool broken = false;
  for (const auto& t : outcomes) {
    failed = failed || t.status == report::Status::kFail;
    broken = broken || t.status == report::Status::kError || t.status == report::Status::kMiss;
  }
  return failed ? kExitInvalidInput : broken ? kExitFailure : kExitOk;
}

void add_test(CLI::App& root, RunContext& ctx) {
  auto o = std::make_shared<TestCommandOptions>();
  auto* cmd = root.add_subcommand(
      "test",
      "Boot a kernel from an artifact directory in QEMU (TCG), run a test plan and print the "
      "results as a KCIDB v5.3 report");
  add_submit_option(cmd, o->submit_url);
  cmd->add_option("--kernel", o->run.artifact_dir,
                  "Artifact directory of a build (kernel image, bmeta.json, build report)")
      ->required();
  cmd->add_option("--plan", o->run.plan, "Test plan")
      ->check(CLI::IsMember(pipeline::known_plans()))
      ->default_val("baseline");
  std::vector<std::string> platform_names;
  for (const auto& p : pipeline::qemu_platforms()) platform_names.push_back(p.name);
  cmd->add_option("--platform", o->run.platform, "QEMU platform")
      ->check(CLI::IsMember(platform_names))
      ->default_val("qemu-x86_64");
  cmd->add_option("--timeout", o->run.timeout_seconds,
                  "Stop the guest after this many seconds (a hung guest never exits)")
      ->default_val(300)
      ->check(CLI::Range(1.0, 86400.0));
  cmd->add_option("--build-id", o->build_id,
                  "KCIDB id of the build under test (default: from the artifact directory)");
  cmd->add_option("--origin", o->run.origin, "KCIDB origin of the tests")->default_val("kci");
  cmd->add_option("--artifact-url", o->run.artifact_url,
                  "Public URL of the artifact directory, for log_url (default: file://)");
  cmd->add_option("--rootfs-cache", o->run.rootfs_cache,
                  "Where initramfs images are cached (default: $KCI_CACHE/rootfs or "
                  "~/.cache/kci/rootfs)");
  cmd->add_option("--init", o->init_file,
                  "Use this busybox shell script as /init instead of the plan's (debugging the "
                  "runtime)");
  cmd->add_flag("--console", o->run.show_console, "Copy the serial console to stderr live");
  cmd->add_option("--indent", o->indent, "Indent output by N spaces, 0 = one line")
      ->default_val(4)
      ->check(CLI::Range(0, 16));
  cmd->callback([o, &ctx] {
    if (!o->build_id.empty()) o->run.build_id = o->build_id;
    if (!o->init_file.empty()) o->run.init_script = read_input_file(o->init_file);
    pipeline::QemuTestRun run = pipeline::run_qemu_test(o->run);
    for (const auto& t : run.outcomes) {
      std::fprintf(stderr, "kci: %-40s %s%s%s\n", t.path.c_str(),
                   std::string(report::status_name(t.status)).c_str(),
                   t.comment.empty() ? "" : "  ", t.comment.c_str());
    }
    std::fprintf(stderr, "kci: log %s\n", run.log_path.c_str());
    json::Document doc;
    report::to_json(run.report, doc, false);
    std::string out = json::write(doc, o->indent);
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    if (!o->submit_url.empty()) submit_report_text(o->submit_url, out);
    ctx.exit_status = exit_status_of(run.outcomes);
  });
}

}  // namespace

KCI_COMMAND(60, add_test);

}  // namespace kci::cli
