// SPDX-License-Identifier: LGPL-2.1-or-later
#include "bisect/kernel_step_runner.h"

#include <cstdio>
#include <fstream>
#include <iterator>

#include "pipeline/build/kbuild.h"
#include "pipeline/runtime/qemu.h"
#include "util/log.h"
#include "util/sha256.h"

namespace kci::bisect {

namespace {

std::string file_digest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::string data((std::istreambuf_iterator<char>(in)), {});
  return sha256_hex(data);
}

}  // namespace

KernelStepRunner::KernelStepRunner(KernelStepOptions options) : options_(std::move(options)) {}

BuildOutcome KernelStepRunner::build(const std::string& commit) {
  pipeline::BuildRequest request;
  request.source_dir = options_.source_dir;
  request.arch = options_.arch;
  request.toolchain = options_.toolchain;
  request.config = options_.config;
  request.artifacts_dir = options_.artifacts_dir;
  request.build_dir = options_.build_dir;
  request.ccache = options_.ccache;
  request.jobs = options_.jobs;
  request.timeout = std::chrono::seconds(static_cast<long>(options_.build_timeout_seconds));
  request.progress = pipeline::ProgressStyle::kNone;
  request.fragment_lookup = options_.fragment_lookup;
  request.build_timestamp = options_.build_timestamp;
  request.build_version = options_.build_version;
  pipeline::BuildResult result = pipeline::run_kbuild(request);
  BuildOutcome out;
  out.status = result.status;
  out.reason = result.reason;
  out.seconds = result.duration;
  if (result.status == pipeline::BuildStatus::kPass) {
    last_artifacts_ = result.publish_dir;
    last_commit_ = commit;
    // The image the boot uses: a culprit whose image equals its parent's
    // cannot have changed the kernel.
    if (const auto* platform = pipeline::find_qemu_platform(options_.platform)) {
      try {
        out.image_digest = file_digest(pipeline::find_kernel_image(result.publish_dir, *platform));
      } catch (const Error&) {
      }
    }
  }
  if (options_.progress) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f s", out.seconds);
    log::info("kci bisect: build " + commit.substr(0, 12) + " " + name(out.status) + " (" +
              seconds + ")" + (out.reason.empty() ? "" : ": ") + out.reason);
  }
  return out;
}

TestOutcome KernelStepRunner::test(const std::string& commit) {
  TestOutcome out;
  if (last_commit_ != commit || last_artifacts_.empty()) {
    out.status = Status::kError;
    out.detail = "no build of this commit to test";
    return out;
  }
  pipeline::QemuTestOptions run;
  run.artifact_dir = last_artifacts_;
  run.plan = options_.plan;
  run.platform = options_.platform;
  run.timeout_seconds = options_.boot_timeout_seconds;
  run.rootfs_cache = options_.rootfs_cache;
  // A step's build is not a KCIDB build of its own (its publish directory
  // has no report to read the id from); the boot's report names the commit.
  run.build_id = "kci:bisect-" + commit;
  pipeline::QemuTestRun result = pipeline::run_qemu_test(run);
  out.seconds = result.boot.duration;
  out.status = Status::kMiss;
  out.detail = "the plan did not report " + options_.test_path;
  for (const auto& t : result.outcomes) {
    if (t.path == options_.test_path) {
      out.status = t.status;
      out.detail = t.comment;
      break;
    }
  }
  // A boot that timed out without any kernel output is the machine's
  // trouble, whatever the plan made of it.
  if (!result.boot.outcome.started || !result.boot.outcome.infrastructure_error.empty()) {
    out.status = Status::kError;
    out.detail = result.boot.outcome.infrastructure_error.empty()
                     ? "the emulator did not start"
                     : result.boot.outcome.infrastructure_error;
  } else if (result.boot.outcome.timed_out &&
             result.boot.console.find("Linux version") == std::string::npos) {
    out.status = Status::kError;
    out.detail = "timed out without kernel output";
  }
  if (options_.progress) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f s", out.seconds);
    log::info("kci bisect: test  " + commit.substr(0, 12) + " " + options_.test_path + " " +
              name(out.status) + " (" + seconds + ")");
  }
  return out;
}

}  // namespace kci::bisect
