// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/build/kbuild_report.h"

#include "pipeline/build/artifacts.h"
#include "pipeline/config/checkout_id.h"
#include "util/sha256.h"

namespace kci::pipeline {

namespace {

json::Value text(const std::string& s, json::Allocator& a) { return json::Value(s, a); }

}  // namespace

std::string kbuild_checkout_id(const std::string& origin, const BuildResult& r,
                               const std::string& source_dir) {
  // A branch head gets the ID `kci monitor` gives it, so a build of what
  // the monitor found joins the monitor's checkout in the store.
  if (r.git.is_git && !r.branch.empty()) {
    return branch_checkout_id(origin, r.tree, r.branch, r.git.commit);
  }
  // Without a branch (a detached commit, or no git) the checkout is named
  // by what identifies the source.
  std::string identity =
      r.git.is_git ? r.tree + "\n" + r.git.url + "\n" + r.git.commit : "dir\n" + source_dir;
  return origin + ":checkout-" + sha256_hex(identity).substr(0, 24);
}

std::string kbuild_build_id(const std::string& origin, const std::string& checkout_id,
                            const BuildResult& r) {
  std::string identity = checkout_id + "\n" + r.arch.arch + "\n" + r.config_full + "\n" +
                         r.toolchain.name + "\n" + r.start_time;
  return origin + ":kbuild-" + sha256_hex(identity).substr(0, 24);
}

void kbuild_report(const BuildResult& r, const std::string& origin, const std::string& source_dir,
                   json::Document& doc) {
  doc.SetObject();
  auto& a = doc.GetAllocator();
  json::Value version(rapidjson::kObjectType);
  version.AddMember("major", 5, a);
  version.AddMember("minor", 3, a);
  doc.AddMember("version", version, a);

  std::string checkout_id = kbuild_checkout_id(origin, r, source_dir);
  json::Value checkout(rapidjson::kObjectType);
  checkout.AddMember("id", text(checkout_id, a), a);
  checkout.AddMember("origin", text(origin, a), a);
  checkout.AddMember("tree_name", text(r.tree, a), a);
  if (r.git.is_git) {
    // KCIDB accepts only https repository URLs; a local path is left out.
    if (r.git.url.starts_with("https://")) {
      checkout.AddMember("git_repository_url", text(r.git.url, a), a);
    }
    checkout.AddMember("git_commit_hash", text(r.git.commit, a), a);
    checkout.AddMember("git_commit_name", text(r.git.describe, a), a);
    checkout.AddMember("git_repository_branch", text(r.branch, a), a);
    checkout.AddMember("patchset_hash", "", a);
  }
  checkout.AddMember("start_time", text(r.start_time, a), a);
  checkout.AddMember("valid", true, a);
  json::Value checkouts(rapidjson::kArrayType);
  checkouts.PushBack(checkout, a);
  doc.AddMember("checkouts", checkouts, a);

  json::Value build(rapidjson::kObjectType);
  build.AddMember("id", text(kbuild_build_id(origin, checkout_id, r), a), a);
  build.AddMember("origin", text(origin, a), a);
  build.AddMember("checkout_id", text(checkout_id, a), a);
  build.AddMember("start_time", text(r.start_time, a), a);
  build.AddMember("duration", r.duration, a);
  build.AddMember("architecture", text(r.arch.arch, a), a);
  if (!r.command.empty()) build.AddMember("command", text(r.command, a), a);
  if (r.compiler) build.AddMember("compiler", text(r.compiler->kcidb, a), a);
  build.AddMember("config_name", text(r.config_full, a), a);
  json::Value outputs(rapidjson::kArrayType);
  for (const auto& o : r.outputs) {
    std::string url = artifact_url(r.url_base, o.path);
    if (o.name == "kernel.config") build.AddMember("config_url", text(url, a), a);
    if (o.name == "build.log") build.AddMember("log_url", text(url, a), a);
    json::Value resource(rapidjson::kObjectType);
    resource.AddMember("name", text(o.name, a), a);
    resource.AddMember("url", text(url, a), a);
    outputs.PushBack(resource, a);
  }
  build.AddMember("output_files", outputs, a);
  if (!r.log_excerpt.empty()) build.AddMember("log_excerpt", text(r.log_excerpt, a), a);
  build.AddMember("status", text(std::string(status_name(r.status)), a), a);

  json::Value misc(rapidjson::kObjectType);
  misc.AddMember("toolchain", text(r.toolchain.name, a), a);
  if (!r.setup.cross_compile.empty()) {
    misc.AddMember("cross_compile", text(r.setup.cross_compile, a), a);
  }
  if (!r.git.describe.empty()) misc.AddMember("kernel_version", text(r.git.describe, a), a);
  misc.AddMember("artifacts_path", text(r.publish_path, a), a);
  if (!r.reason.empty()) misc.AddMember("reason", text(r.reason, a), a);
  misc.AddMember("warnings", static_cast<std::uint64_t>(r.log_summary.warnings), a);
  misc.AddMember("errors", static_cast<std::uint64_t>(r.log_summary.errors), a);
  if (r.meta.kernel_image_size) {
    misc.AddMember("kernel_image_size", *r.meta.kernel_image_size, a);
  }
  if (r.meta.vmlinux_sizes) {
    misc.AddMember("vmlinux_text_size", r.meta.vmlinux_sizes->text, a);
    misc.AddMember("vmlinux_data_size", r.meta.vmlinux_sizes->data, a);
    misc.AddMember("vmlinux_bss_size", r.meta.vmlinux_sizes->bss, a);
  }
  if (r.meta.vmlinux_file_size) misc.AddMember("vmlinux_file_size", *r.meta.vmlinux_file_size, a);
  json::Value steps(rapidjson::kArrayType);
  for (const auto& s : r.steps) {
    json::Value step(rapidjson::kObjectType);
    step.AddMember("name", text(s.name, a), a);
    step.AddMember("duration", s.duration, a);
    step.AddMember("status", s.ok ? "PASS" : "FAIL", a);
    steps.PushBack(step, a);
  }
  misc.AddMember("steps", steps, a);
  build.AddMember("misc", misc, a);
  json::Value builds(rapidjson::kArrayType);
  builds.PushBack(build, a);
  doc.AddMember("builds", builds, a);
}

}  // namespace kci::pipeline
