// SPDX-License-Identifier: LGPL-2.1-or-later
#include "orchestrator/local_executor.h"

#include <chrono>

#include "pipeline/build/kbuild.h"
#include "pipeline/build/kbuild_report.h"
#include "pipeline/runtime/qemu.h"
#include "util/error.h"

namespace kci::orchestrator {
namespace {

// "x86_64-gcc-12-tinyconfig+x86_64-boot": one path component.
std::string config_dir_name(const pipeline::BuildRequest& r) {
  std::string name = r.arch + "-" + r.toolchain + "-" + r.config;
  for (char& c : name) {
    if (c == '/' || c == '\\' || c == ' ') c = '_';
  }
  if (name.front() == '.') name.insert(0, "_");
  return name;
}

}  // namespace

Outcome LocalExecutor::run(const Node& node, const Node& parent) {
  if (node.kind == NodeKind::kKbuild) return build(node);
  if (node.kind == NodeKind::kJob) return boot(node, parent);
  throw UsageError("the local runtime runs kbuild and job nodes, not " +
                   std::string(kind_name(node.kind)));
}

Outcome LocalExecutor::build(const Node& node) {
  if (node.get("source_dir").empty()) {
    throw UsageError("kbuild node " + std::to_string(node.id) +
                     ": its checkout has no source directory");
  }
  pipeline::BuildRequest r;
  r.source_dir = node.get("source_dir");
  r.arch = node.get("arch");
  r.toolchain = node.get("toolchain");
  r.config = node.get("defconfig");
  r.artifacts_dir = options_.artifacts_dir;
  r.artifact_url = options_.artifact_url;
  if (!options_.build_root.empty()) {
    // One directory per build configuration makes the next checkout's
    // build of it incremental; one per node keeps every build apart.
    r.build_dir = options_.build_root + "/" +
                  (options_.build_dir_per_config ? config_dir_name(r) : std::to_string(node.id));
    // The next checkout's build of this configuration keeps the .config
    // when nothing it depends on changed (pipeline/build/config_stamp.h):
    // the config steps cost more than a one-file incremental build.
    if (options_.build_dir_per_config) {
      r.reuse_config = pipeline::BuildRequest::ConfigReuse::kWhenUnchanged;
    }
  }

  if (!node.get("tree").empty()) r.tree = node.get("tree");
  if (!node.get("branch").empty()) r.branch = node.get("branch");
  if (!node.get("cross_compile").empty()) r.cross_compile = node.get("cross_compile");
  r.jobs = options_.make_jobs;
  r.ccache = options_.ccache;
  if (options_.progress) r.progress = pipeline::ProgressStyle::kLines;
  // The build stops a little before the claim expires, so that a slow
  // build is an ERROR of this worker rather than a claim taken back.
  if (node.timeout_seconds > 60) r.timeout = std::chrono::seconds(node.timeout_seconds - 30);
  r.fragment_lookup = options_.fragments;
  r.runner = &runner_;
  // The node's commit is built even when the source tree has moved on
  // since the checkout was submitted (kbuild checks it out, detached).
  // Builds that may check out, or that share a directory, take turns.
  const std::string& commit = node.get("commit");
  std::unique_lock<std::mutex> lock;
  if (options_.build_dir_per_config || commit.size() == 40) {
    lock = std::unique_lock(source_mutex_);
  }
  if (commit.size() == 40 && pipeline::read_git_info(r.source_dir, runner_).commit != commit) {
    r.commit = commit;
  }
  pipeline::BuildResult result = pipeline::run_kbuild(r);

  Outcome out;
  out.result = node_result(result.status);
  out.infrastructure_error = result.status == report::Status::kError;
  out.reason = result.reason;
  out.report = pipeline::kbuild_report(result, options_.origin, r.source_dir);
  if (!out.report.builds.empty() && out.report.builds[0].id) {
    out.data["build_id"] = *out.report.builds[0].id;
  }
  out.data["artifact_dir"] = result.publish_dir;
  out.data["artifact_url"] = result.url_base;
  out.data["build_dir"] = result.build_dir;
  if (!result.reason.empty()) out.data["reason"] = result.reason;
  return out;
}

Outcome LocalExecutor::boot(const Node& node, const Node& parent) {
  pipeline::RuntimeJob job;
  job.artifact_dir = node.get("artifact_dir");
  if (job.artifact_dir.empty()) job.artifact_dir = parent.get("artifact_dir");
  job.artifact_url = node.get("artifact_url");
  if (job.artifact_url.empty()) job.artifact_url = parent.get("artifact_url");
  job.platform = node.get("platform");
  job.plan = node.get("plan").empty() ? "baseline" : node.get("plan");
  if (!node.get("boot_timeout").empty()) job.timeout_seconds = std::stod(node.get("boot_timeout"));
  std::string build_id = node.get("build_id");
  if (build_id.empty()) build_id = parent.get("build_id");
  if (!build_id.empty()) job.build_id = build_id;
  job.origin = options_.origin;
  pipeline::RuntimeRun run = boot_(job);

  Outcome out;
  if (!run.finished) {
    out.result = NodeResult::kIncomplete;
    out.infrastructure_error = true;
    out.reason = run.reason.empty() ? "the runtime did not finish the job" : run.reason;
    return out;
  }
  bool any_fail = false, any_pass = false;
  for (const pipeline::TestOutcome& t : run.outcomes) {
    NodeResult r = node_result(t.status);
    out.tests.push_back({t.path, r});
    if (r == NodeResult::kFail) any_fail = true;
    if (r == NodeResult::kPass) any_pass = true;
    if (r != NodeResult::kPass && out.reason.empty()) {
      out.reason = t.path + ": " + std::string(report::status_name(t.status)) +
                   (t.comment.empty() ? "" : " (" + t.comment + ")");
    }
  }
  // The kernel's fault first: a failed test is a result even when other
  // tests could not run; a job where nothing passed or failed (only ERROR,
  // MISS or SKIP: the boot did not happen) is an infrastructure failure.
  if (any_fail) {
    out.result = NodeResult::kFail;
  } else if (any_pass) {
    out.result = NodeResult::kPass;
  } else {
    out.result = NodeResult::kIncomplete;
    out.infrastructure_error = true;
    if (out.reason.empty()) out.reason = "no test outcome";
  }
  out.report = std::move(run.report);
  return out;
}

BootFunction qemu_boot(std::string rootfs_cache, CommandRunner& runner) {
  return [rootfs_cache, &runner](const pipeline::RuntimeJob& job) {
    pipeline::QemuTestOptions options;
    options.artifact_dir = job.artifact_dir;
    options.artifact_url = job.artifact_url;
    options.platform = job.platform;
    options.plan = job.plan;
    options.timeout_seconds = job.timeout_seconds;
    options.build_id = job.build_id;
    options.origin = job.origin;
    options.rootfs_cache = rootfs_cache;
    options.runner = &runner;
    pipeline::QemuTestRun test = pipeline::run_qemu_test(options);
    pipeline::RuntimeRun out;
    out.finished = true;
    out.outcomes = std::move(test.outcomes);
    out.report = std::move(test.report);
    return out;
  };
}

std::unique_ptr<Executor> make_local_executor(LocalExecutorOptions options) {
  std::string rootfs_cache = options.rootfs_cache;
  return std::make_unique<LocalExecutor>(std::move(options), subprocess_runner(),
                                         qemu_boot(rootfs_cache, subprocess_runner()));
}

}  // namespace kci::orchestrator
