// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/build/kbuild_report.h"

#include "pipeline/build/artifacts.h"
#include "pipeline/config/checkout_id.h"
#include "util/sha256.h"

namespace kci::pipeline {

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

report::Report kbuild_report(const BuildResult& r, const std::string& origin,
                             const std::string& source_dir) {
  report::Report out;
  std::string checkout_id = kbuild_checkout_id(origin, r, source_dir);
  report::Checkout& checkout = out.checkouts.emplace_back();
  checkout.id = checkout_id;
  checkout.origin = origin;
  checkout.tree_name = r.tree;
  if (r.git.is_git) {
    // KCIDB accepts only https repository URLs; a local path is left out.
    if (r.git.url.starts_with("https://")) checkout.git_repository_url = r.git.url;
    checkout.git_commit_hash = r.git.commit;
    checkout.git_commit_name = r.git.describe;
    checkout.git_repository_branch = r.branch;
    checkout.patchset_hash = "";
  }
  checkout.start_time = r.start_time;
  checkout.valid = true;

  report::Build& build = out.builds.emplace_back();
  build.id = kbuild_build_id(origin, checkout_id, r);
  build.origin = origin;
  build.checkout_id = checkout_id;
  build.start_time = r.start_time;
  build.duration = r.duration;
  build.architecture = r.arch.arch;
  if (!r.command.empty()) build.command = r.command;
  if (r.compiler) build.compiler = r.compiler->kcidb;
  build.config_name = r.config_full;
  // output_files and misc are free-form JSON in the model (text).
  json::Document files(rapidjson::kArrayType);
  auto& fa = files.GetAllocator();
  for (const auto& o : r.outputs) {
    std::string url = artifact_url(r.url_base, o.path);
    if (o.name == "kernel.config") build.config_url = url;
    if (o.name == "build.log") build.log_url = url;
    json::Value resource(rapidjson::kObjectType);
    resource.AddMember("name", json::Value(o.name, fa), fa);
    resource.AddMember("url", json::Value(url, fa), fa);
    files.PushBack(resource, fa);
  }
  build.output_files = json::write(files);
  if (!r.log_excerpt.empty()) build.log_excerpt = r.log_excerpt;
  build.status = std::string(status_name(r.status));

  json::Document misc(rapidjson::kObjectType);
  auto& a = misc.GetAllocator();
  auto text = [&](const std::string& s) { return json::Value(s, a); };
  misc.AddMember("toolchain", text(r.toolchain.name), a);
  if (!r.setup.cross_compile.empty())
    misc.AddMember("cross_compile", text(r.setup.cross_compile), a);
  if (!r.git.describe.empty()) misc.AddMember("kernel_version", text(r.git.describe), a);
  misc.AddMember("artifacts_path", text(r.publish_path), a);
  if (!r.reason.empty()) misc.AddMember("reason", text(r.reason), a);
  misc.AddMember("warnings", static_cast<std::uint64_t>(r.log_summary.warnings), a);
  misc.AddMember("errors", static_cast<std::uint64_t>(r.log_summary.errors), a);
  if (r.meta.kernel_image_size) misc.AddMember("kernel_image_size", *r.meta.kernel_image_size, a);
  if (r.meta.vmlinux_sizes) {
    misc.AddMember("vmlinux_text_size", r.meta.vmlinux_sizes->text, a);
    misc.AddMember("vmlinux_data_size", r.meta.vmlinux_sizes->data, a);
    misc.AddMember("vmlinux_bss_size", r.meta.vmlinux_sizes->bss, a);
  }
  if (r.meta.vmlinux_file_size) misc.AddMember("vmlinux_file_size", *r.meta.vmlinux_file_size, a);
  json::Value steps(rapidjson::kArrayType);
  for (const auto& s : r.steps) {
    json::Value step(rapidjson::kObjectType);
    step.AddMember("name", text(s.name), a);
    step.AddMember("duration", s.duration, a);
    step.AddMember("status", s.ok ? "PASS" : "FAIL", a);
    steps.PushBack(step, a);
  }
  misc.AddMember("steps", steps, a);
  build.misc = json::write(misc);
  return out;
}

}  // namespace kci::pipeline
