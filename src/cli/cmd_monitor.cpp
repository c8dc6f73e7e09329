// SPDX-License-Identifier: LGPL-2.1-or-later
// kci monitor: follow the configured trees and branches and report each new
// branch head as a KCIDB checkout (see src/pipeline/source/monitor.h).
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/command.h"
#include "cli/submit_output.h"
#include "pipeline/config/config.h"
#include "pipeline/source/monitor.h"
#include "report/stream.h"

namespace kci::cli {

namespace {

struct MonitorCliOptions {
  std::string submit_url;  // --submit
  std::vector<std::string> config_files;
  std::vector<std::string> tree_urls;
  std::string state_dir = "kci-state";
  std::optional<std::string> tree;
  std::optional<std::string> branch;
  bool once = false;
  int interval = 60;
  int indent = 4;
  bool seq_out = false;
};

void register_monitor(CLI::App& root, RunContext& ctx) {
  auto o = std::make_shared<MonitorCliOptions>();
  auto* cmd = root.add_subcommand(
      "monitor", "Follow the configured trees and branches; print a KCIDB checkout per new head");
  cmd->footer(
      "For each configured (tree, branch) that is due (its build config's frequency), the branch\n"
      "head is looked up with git ls-remote; a new head is fetched into a bare mirror under the\n"
      "state directory and printed as a KCIDB v5.3 report on stdout. Progress goes to stderr.");
  add_submit_option(cmd, o->submit_url);
  cmd->add_option("--config,-c", o->config_files,
                  "Pipeline YAML file or directory, repeatable (default: $KCI_CONFIG, else "
                  "config/kci.yaml)");
  cmd->add_option("--tree-url", o->tree_urls, "Override a tree's URL: NAME=URL (repeatable)");
  cmd->add_option("--state", o->state_dir,
                  "State directory: poll times, last heads and git mirrors")
      ->default_val("kci-state");
  cmd->add_option("--tree", o->tree, "Only this tree");
  cmd->add_option("--branch", o->branch, "Only this branch");
  cmd->add_flag("--once", o->once,
                "One pass, then exit (status 3 if any branch could not be polled)");
  cmd->add_option("--interval", o->interval, "Seconds between passes without --once")
      ->default_val(60)
      ->check(CLI::Range(1, 86400));
  cmd->add_option("--indent", o->indent, "Indent output by N spaces, 0 = one line")
      ->default_val(4)
      ->check(CLI::Range(0, 16));
  cmd->add_flag("--seq-out,--seq", o->seq_out, "Write an RFC 7464 JSON text sequence");
  cmd->callback([o, &ctx] {
    pipeline::PipelineConfig config = pipeline::load_pipeline_config(o->config_files, o->tree_urls);
    pipeline::MonitorOptions options;
    options.state_dir = o->state_dir;
    options.tree = o->tree;
    options.branch = o->branch;
    options.progress = [](const std::string& line) {
      std::fprintf(stderr, "kci monitor: %s\n", line.c_str());
    };
    // Each checkout is its own report, written as soon as it is known.
    auto emit = [&](const report::Checkout& checkout) {
      json::Document report;
      report::to_json(pipeline::checkout_report({checkout}), report, false);
      std::string out;
      report::write_value(report, o->indent, o->seq_out, out);
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fflush(stdout);
      if (!o->submit_url.empty()) submit_report_text(o->submit_url, out);
    };
    while (true) {
      pipeline::MonitorPassResult pass =
          pipeline::monitor_pass(config, options, emit, std::chrono::system_clock::now());
      std::fprintf(stderr, "kci monitor: pass done: %zu polled, %zu not due, %zu new, %zu failed\n",
                   pass.polled, pass.not_due, pass.checkouts.size(), pass.errors.size());
      if (o->once) {
        if (!pass.errors.empty()) ctx.exit_status = kExitFailure;
        return;
      }
      std::this_thread::sleep_for(std::chrono::seconds(o->interval));
    }
  });
}

}  // namespace

KCI_COMMAND(41, register_monitor);

}  // namespace kci::cli
