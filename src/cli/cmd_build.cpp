// SPDX-License-Identifier: LGPL-2.1-or-later
// kci build: one kernel build as KernelCI does it, published into the
// artifact store, with its KCIDB report on stdout and progress on stderr.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "cli/command.h"
#include "cli/fragment_lookup.h"
#include "cli/submit_output.h"
#include "pipeline/build/artifacts.h"
#include "pipeline/build/kbuild.h"
#include "pipeline/build/kbuild_report.h"
#include "pipeline/config/config.h"
#include "report/stream.h"

namespace kci::cli {

namespace {

struct BuildOptions {
  std::string submit_url;  // --submit
  pipeline::BuildRequest request;
  std::string origin = "kci";
  int indent = 4;
  int timeout_seconds = 0;
  bool quiet = false;
  bool verdict_status = false;
  std::vector<std::string> pipeline_config_files;
};

bool valid_origin(const std::string& origin) {
  if (origin.empty()) return false;
  for (char c : origin) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

void add_build(CLI::App& root, RunContext& ctx) {
  auto o = std::make_shared<BuildOptions>();
  auto& r = o->request;
  auto* cmd = root.add_subcommand(
      "build",
      "Build a kernel as KernelCI does (out of tree, fragments merged with merge_config.sh),\n"
      "publish its artifacts and print its KCIDB v5.3 report (checkout + build)");
  add_submit_option(cmd, o->submit_url);
  cmd->add_option("--source", r.source_dir, "Kernel source tree (a git checkout or not)")
      ->required();
  cmd->add_option("--commit", r.commit,
                  "Check this commit out (detached) in the source tree before building");
  cmd->add_option("--arch", r.arch, "Target architecture: x86_64, arm64, riscv, arm, i386, ...")
      ->required();
  cmd->add_option("--toolchain", r.toolchain, "gcc, gcc-N, clang or clang-N")->default_val("gcc");
  cmd->add_option("--config", r.config,
                  "DEFCONFIG[+FRAGMENT][+CONFIG_X=y]...: FRAGMENT is a .config fragment file, "
                  "a fragment of the pipeline configuration or an in-tree fragment "
                  "(kernel/configs/NAME.config)")
      ->required();
  cmd->add_option("--pipeline-config", o->pipeline_config_files,
                  "Pipeline YAML naming the fragments, repeatable (default: $KCI_CONFIG, else "
                  "config/kci.yaml if present)");
  cmd->add_option("--artifacts", r.artifacts_dir,
                  "Artifact store folder (default: $KCI_ARTIFACTS, else ./artifacts)");
  cmd->add_option("--artifact-url", r.artifact_url,
                  "Base URL the store is published under (default: its file:// URL)");
  cmd->add_option("--build-dir", r.build_dir,
                  "Build directory (O=); reused for incremental builds "
                  "(default: ./kci-build/ARCH/CONFIG/TOOLCHAIN)");
  cmd->add_option("--tree", r.tree, "Tree name (default: the source directory's name)");
  cmd->add_option("--branch", r.branch, "Branch name (default: the checked-out branch)");
  cmd->add_option("--git-url", r.git_url, "Repository URL (default: remote.origin.url)");
  cmd->add_option("--cross-compile", r.cross_compile,
                  "CROSS_COMPILE prefix (default: the Debian cross toolchain of the arch)");
  cmd->add_option("-j,--jobs", r.jobs, "Parallel make jobs (default: one per CPU)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--ccache", r.ccache, "Compile through ccache (CC=\"ccache <compiler>\")");
  cmd->add_option("--timeout", o->timeout_seconds,
                  "Stop the build after this many seconds (verdict ERROR)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--origin", o->origin, "KCIDB origin of the report")->default_val("kci");
  cmd->add_option("--indent", o->indent, "Indent the report by N spaces, 0 = one line")
      ->default_val(4)
      ->check(CLI::Range(0, 16));
  cmd->add_flag("-q,--quiet", o->quiet, "No progress on stderr");
  cmd->add_flag("--verdict-status", o->verdict_status,
                "Exit 1 when the build FAILed and 3 on ERROR (default: 0 whenever the report "
                "was printed)");
  cmd->callback([o, &ctx] {
    auto& request = o->request;
    if (!valid_origin(o->origin)) {
      throw UsageError("bad --origin '" + o->origin + "': expected [a-z0-9_]+");
    }
    if (request.artifacts_dir.empty()) request.artifacts_dir = pipeline::default_artifacts_dir();
    if (request.jobs == 0) {
      request.jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    }
    request.fragment_lookup = fragment_lookup(o->pipeline_config_files);
    if (o->timeout_seconds > 0) request.timeout = std::chrono::seconds(o->timeout_seconds);
    request.progress = o->quiet                ? pipeline::ProgressStyle::kNone
                       : isatty(STDERR_FILENO) ? pipeline::ProgressStyle::kTerminal
                                               : pipeline::ProgressStyle::kLines;
    pipeline::BuildResult result = pipeline::run_kbuild(request);
    json::Document doc;
    report::to_json(pipeline::kbuild_report(result, o->origin, request.source_dir), doc, false);
    std::string out;
    report::write_value(doc, o->indent, false, out);
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    if (!o->submit_url.empty()) submit_report_text(o->submit_url, out);
    if (!o->quiet) {
      std::fprintf(
          stderr, "kci build: %s %s %s %s in %.1f s%s%s\nkci build: artifacts in %s\n",
          std::string(pipeline::status_name(result.status)).c_str(), result.arch.arch.c_str(),
          result.config_full.c_str(), result.toolchain.name.c_str(), result.duration,
          result.reason.empty() ? "" : ": ", result.reason.c_str(), result.publish_dir.c_str());
    }
    if (o->verdict_status) {
      if (result.status == pipeline::BuildStatus::kFail) ctx.exit_status = kExitInvalidInput;
      if (result.status == pipeline::BuildStatus::kError) ctx.exit_status = kExitFailure;
    }
  });
}

}  // namespace

KCI_COMMAND(40, add_build);

}  // namespace kci::cli
