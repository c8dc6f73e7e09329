// SPDX-License-Identifier: LGPL-2.1-or-later
#include "bisect/kernel_step_runner.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>
#include <thread>
#include <unordered_set>

#include "pipeline/build/kbuild.h"
#include "pipeline/build/toolchain.h"
#include "pipeline/runtime/qemu.h"
#include "util/file.h"
#include "util/log.h"
#include "util/sha256.h"
#include "util/subprocess.h"

namespace kci::bisect {

namespace {

std::string file_digest(const std::string& path) {
  try {
    return sha256_hex(read_file(path));
  } catch (const Error&) {
    return "";
  }
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

void progress_line(const std::string& what, const std::string& commit, const std::string& status,
                   double seconds, const std::string& why) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", seconds);
  log::info("kci bisect: " + what + " " + commit.substr(0, 12) + " " + status + " (" + text + ")" +
            (why.empty() ? "" : ": ") + why);
}

}  // namespace

namespace {

// The source paths one .cmd file names, each once, in order of appearance.
std::vector<std::string> cmd_file_inputs(const std::string& text, const std::string& prefix) {
  std::vector<std::string> inputs;
  std::unordered_set<std::string_view> seen;
  std::string_view view(text);
  // glibc's memmem: the prefix starts with '/', which .cmd files are full of.
  auto find = [&](std::size_t from) {
    const void* hit =
        ::memmem(view.data() + from, view.size() - from, prefix.data(), prefix.size());
    return hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - view.data())
               : std::string_view::npos;
  };
  for (std::size_t pos = find(0); pos != std::string_view::npos; pos = find(pos)) {
    std::size_t start = pos + prefix.size();
    std::size_t stop = view.find_first_of(" \t\n\\):;,'\"", start);
    if (stop == std::string_view::npos) stop = view.size();
    if (stop > start && seen.insert(view.substr(start, stop - start)).second) {
      inputs.emplace_back(view.substr(start, stop - start));
    }
    pos = stop;
  }
  return inputs;
}

}  // namespace

std::set<std::string> build_inputs(const std::string& build_dir, const std::string& source_dir,
                                   BuildInputsCache* cache) {
  namespace fs = std::filesystem;
  std::string prefix = source_dir;
  while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  prefix += "/";
  BuildInputsCache local;
  if (!cache) cache = &local;
  if (cache->source_prefix != prefix) {
    cache->files.clear();
    cache->source_prefix = prefix;
  }
  // Most paths are named by hundreds of .cmd files: collect distinct views
  // first, then copy each once.
  std::unordered_set<std::string_view> distinct;
  std::unordered_map<std::string, BuildInputsCache::Entry> present;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(build_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const fs::path& file = it->path();
    std::string name = file.filename().string();
    if (name.size() < 5 || name[0] != '.' || name.compare(name.size() - 4, 4, ".cmd") != 0 ||
        !it->is_regular_file(ec)) {
      continue;
    }
    std::string key = file.string();
    std::error_code stat_ec;
    auto mtime = it->last_write_time(stat_ec);
    auto size = it->file_size(stat_ec);
    auto old = cache->files.find(key);
    BuildInputsCache::Entry entry;
    if (!stat_ec && old != cache->files.end() && old->second.mtime == mtime &&
        old->second.size == size) {
      entry = std::move(old->second);
    } else {
      std::string text;
      try {
        text = read_file(key);
      } catch (const Error&) {
        stat_ec = std::make_error_code(std::errc::io_error);
      }
      entry.inputs = cmd_file_inputs(text, prefix);
      // An unreadable time: never trusted next time.
      entry.mtime = stat_ec ? fs::file_time_type::min() : mtime;
      entry.size = stat_ec ? static_cast<std::uintmax_t>(-1) : size;
    }
    present.emplace(std::move(key), std::move(entry));
  }
  // Only the .cmd files still there count (a removed object's are gone).
  cache->files = std::move(present);
  for (const auto& [path, entry] : cache->files) {
    for (const auto& input : entry.inputs) distinct.insert(input);
  }
  return std::set<std::string>(distinct.begin(), distinct.end());
}

bool affects_build(const std::string& path, const std::set<std::string>& inputs,
                   const std::string& srcarch) {
  if (inputs.count(path)) return true;
  std::string base = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  // The build system, which no dependency list names, and the directories
  // whose files are built by rules rather than compiled with a .cmd of
  // their own (host tools, the initramfs, the architecture's glue).
  for (const char* word : {"Makefile", "Kbuild", "Kconfig"}) {
    if (starts_with(base, word)) return true;
  }
  for (const char* dir : {"scripts/", "tools/", "usr/"}) {
    if (starts_with(path, dir)) return true;
  }
  return starts_with(path, "arch/" + srcarch + "/");
}

KernelStepRunner::KernelStepRunner(KernelStepOptions options) : options_(std::move(options)) {
  try {
    srcarch_ = pipeline::arch_info(options_.arch).srcarch;
  } catch (const Error&) {
    // run_kbuild reports the unknown architecture; nothing is reused.
    options_.reuse_builds = false;
    options_.reuse_config = false;
  }
}

RunResult KernelStepRunner::EnvRunner::run(const std::vector<std::string>& argv,
                                           const RunOptions& options) {
  RunOptions with_env = options;
  for (const auto& [name, value] : env) with_env.env[name] = value;
  return subprocess_runner().run(argv, with_env);
}

bool KernelStepRunner::EnvRunner::exists(const std::string& program) {
  return subprocess_runner().exists(program);
}

std::optional<std::vector<std::string>> KernelStepRunner::changed_files(const std::string& from,
                                                                        const std::string& to) {
  RunOptions git_options;
  git_options.env = {{"LC_ALL", "C"}, {"GIT_TERMINAL_PROMPT", "0"}};
  git_options.timeout = std::chrono::minutes(5);
  RunResult diff = runner_.run(
      {"git", "-C", options_.source_dir, "diff", "--no-renames", "--name-only", from, to},
      git_options);
  if (!diff.ok()) return std::nullopt;
  std::vector<std::string> files;
  std::size_t start = 0;
  while (start < diff.out.size()) {
    std::size_t end = diff.out.find('\n', start);
    if (end == std::string::npos) end = diff.out.size();
    if (end > start) files.push_back(diff.out.substr(start, end - start));
    start = end + 1;
  }
  return files;
}

const KernelStepRunner::Built* KernelStepRunner::same_build(const std::string& commit) {
  if (auto it = built_.find(commit); it != built_.end()) return &it->second;
  // The most recent builds first: the likeliest to be near.
  for (auto it = made_.rbegin(); it != made_.rend(); ++it) {
    if (!it->inputs || it->inputs->empty()) continue;
    auto files = changed_files(it->commit, commit);
    if (!files) continue;
    bool same = true;
    for (const auto& f : *files) {
      if (affects_build(f, *it->inputs, srcarch_)) {
        same = false;
        break;
      }
    }
    if (same) return &*it;
  }
  return nullptr;
}

BuildOutcome KernelStepRunner::build(const std::string& commit) {
  if (options_.reuse_builds && !(checking_ && options_.rebuild_in_checks)) {
    const Built* earlier = same_build(commit);
    if (earlier && std::filesystem::is_directory(earlier->publish_dir)) {
      Built reused = *earlier;
      BuildOutcome out;
      out.status = Status::kPass;
      out.reused = true;
      out.image_digest = reused.image_digest;
      last_artifacts_ = reused.publish_dir;
      last_commit_ = commit;
      built_[commit] = reused;
      if (options_.progress) {
        progress_line("build", commit, "PASS", 0,
                      reused.commit == commit
                          ? "built earlier, reused"
                          : "same inputs as " + reused.commit.substr(0, 12) + "'s build, reused");
      }
      return out;
    }
  }
  pipeline::BuildRequest request;
  request.source_dir = options_.source_dir;
  request.arch = options_.arch;
  request.toolchain = options_.toolchain;
  request.config = options_.config;
  request.artifacts_dir = options_.artifacts_dir;
  request.build_dir = options_.build_dir;
  request.ccache = options_.ccache;
  // kbuild wants a job count: one per CPU unless told.
  request.jobs = options_.jobs > 0
                     ? options_.jobs
                     : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  request.timeout = std::chrono::seconds(static_cast<long>(options_.build_timeout_seconds));
  request.progress = pipeline::ProgressStyle::kNone;
  request.fragment_lookup = options_.fragment_lookup;
  request.build_timestamp = options_.build_timestamp;
  request.build_version = options_.build_version;
  request.reuse_config = options_.reuse_config ? pipeline::BuildRequest::ConfigReuse::kWhenUnchanged
                                               : pipeline::BuildRequest::ConfigReuse::kNever;
  request.runner = &runner_;
  pipeline::BuildResult result = pipeline::run_kbuild(request);
  BuildOutcome out;
  out.status = result.status;
  out.reason = result.reason;
  // make's own time: kbuild's bookkeeping around it (git describe, the
  // compiler's version, publishing) is kci's.
  out.seconds = 0;
  for (const auto& s : result.steps) out.seconds += s.duration;
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
    Built made{commit, result.publish_dir, out.image_digest, nullptr};
    if (options_.reuse_builds) {
      // The files this build read: what a later commit must not differ in
      // to reuse it. Most builds read the same files as the one before.
      auto inputs = build_inputs(options_.build_dir, options_.source_dir, &inputs_cache_);
      if (!made_.empty() && made_.back().inputs && *made_.back().inputs == inputs) {
        made.inputs = made_.back().inputs;
      } else {
        made.inputs = std::make_shared<const std::set<std::string>>(std::move(inputs));
      }
    }
    built_[commit] = made;
    made_.push_back(made);
  }
  if (options_.progress) {
    progress_line("build", commit, name(out.status), out.seconds,
                  out.reason.empty() ? (result.config_reused ? "config reused" : "") : out.reason);
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
  run.runner = &runner_;
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
    progress_line("test ", commit, options_.test_path + " " + name(out.status), out.seconds,
                  out.status == Status::kPass || out.status == Status::kFail ? "" : out.detail);
  }
  return out;
}

}  // namespace kci::bisect
