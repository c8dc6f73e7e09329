// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/lava/lava_runtime.h"

#include <cmath>
#include <filesystem>

#include "pipeline/runtime/qemu.h"
#include "report/json.h"
#include "util/error.h"
#include "util/file.h"

namespace kci::pipeline {

namespace fs = std::filesystem;

namespace {

std::string kernel_image_name(const std::string& artifact_dir) {
  std::string text;
  try {
    text = read_file((fs::path(artifact_dir) / "bmeta.json").string(), 1 << 20);
  } catch (const Error&) {
    throw InvalidInputError("no bmeta.json in " + artifact_dir + ": the kernel image is unknown");
  }
  json::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("kernel_image") ||
      !doc["kernel_image"].IsString() || doc["kernel_image"].GetStringLength() == 0) {
    throw InvalidInputError(artifact_dir + "/bmeta.json: no kernel_image");
  }
  return std::string(json::str(doc["kernel_image"]));
}

std::string join_url(std::string base, const std::string& name) {
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/" + name;
}

}  // namespace

std::string LavaRuntime::definition(const RuntimeJob& job) const {
  const LavaPlatform* platform = nullptr;
  for (const auto& p : options_.platforms) {
    if (p.name == job.platform) platform = &p;
  }
  if (!platform) throw InvalidInputError("unknown LAVA platform " + job.platform);
  std::string build_id;
  if (job.build_id) {
    build_id = *job.build_id;
  } else if (auto found = find_build_id(job.artifact_dir)) {
    build_id = *found;
  } else {
    throw InvalidInputError("no build id in " + job.artifact_dir);
  }
  LavaJobRequest request;
  request.platform = *platform;
  request.plan = job.plan;
  request.job_name = "kci " + job.plan + " on " + platform->name;
  request.kernel_url = join_url(job.artifact_url, kernel_image_name(job.artifact_dir));
  request.ramdisk_url = options_.ramdisk_url;
  if (platform->boot_method == "u-boot" && !platform->dtb.empty()) {
    request.dtb_url = join_url(job.artifact_url, platform->dtb);
  }
  request.callback_url = options_.callback_url;
  request.callback_token = options_.callback_token;
  request.priority = options_.priority;
  request.timeout_minutes = std::max(1, static_cast<int>(std::ceil(job.timeout_seconds / 60)));
  request.metadata["kci.build_id"] = build_id;
  return generate_lava_job(request);
}

RuntimeRun LavaRuntime::run(const RuntimeJob& job) {
  std::string text = definition(job);
  const std::string* device_type = nullptr;
  for (const auto& p : options_.platforms) {
    if (p.name == job.platform) device_type = &p.device_type;
  }
  LavaSubmission submission = submit_(options_.server, *device_type, text);
  RuntimeRun out;
  out.finished = false;
  out.reason = submission.reason;
  for (long long id : submission.job_ids) out.job_ids.push_back(std::to_string(id));
  return out;
}

}  // namespace kci::pipeline
