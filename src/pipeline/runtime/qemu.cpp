// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/runtime/qemu.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "pipeline/results/console.h"
#include "pipeline/results/log_html.h"
#include "pipeline/runtime/rootfs.h"
#include "pipeline/runtime/testplan_report.h"
#include "util/error.h"
#include "util/file.h"
#include "util/log.h"
#include "util/subprocess.h"
#include "util/text.h"
#include "util/time.h"

namespace kci::pipeline {

namespace fs = std::filesystem;

const std::vector<QemuPlatform>& qemu_platforms() {
  // The machines of docs/runtimes.md: measured to boot a tinyconfig kernel
  // in about a second under TCG.
  static const std::vector<QemuPlatform> platforms{
      // no_timer_check: under TCG on a loaded host the IO-APIC timer check
      // can fail ("IO-APIC + timer doesn't work!") and panic the boot.
      {"qemu-x86_64",
       "x86_64",
       "qemu-system-x86_64",
       {"-machine", "q35,accel=tcg", "-m", "256M", "-smp", "1"},
       "ttyS0",
       {"bzImage", "arch/x86/boot/bzImage", "vmlinuz"},
       "no_timer_check"},
      {"qemu-arm64",
       "arm64",
       "qemu-system-aarch64",
       {"-machine", "virt,accel=tcg", "-cpu", "cortex-a57", "-m", "256M", "-smp", "1"},
       "ttyAMA0",
       {"Image", "arch/arm64/boot/Image"},
       ""},
      {"qemu-riscv64",
       "riscv64",
       "qemu-system-riscv64",
       {"-machine", "virt,accel=tcg", "-m", "256M", "-smp", "1", "-bios", "default"},
       "ttyS0",
       {"Image", "arch/riscv/boot/Image"},
       ""},
  };
  return platforms;
}

const QemuPlatform* find_qemu_platform(const std::string& name) {
  for (const QemuPlatform& p : qemu_platforms()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::vector<std::string> qemu_command(const QemuPlatform& platform, const std::string& kernel,
                                      const std::string& initrd, const std::string& extra_cmdline) {
  std::vector<std::string> command{platform.binary};
  command.insert(command.end(), platform.machine_args.begin(), platform.machine_args.end());
  // panic=-1: reboot at once on a panic, and -no-reboot turns that reboot
  // into QEMU exiting.
  std::string append = "console=" + platform.console + " panic=-1";
  if (!platform.kernel_args.empty()) append += " " + platform.kernel_args;
  if (!extra_cmdline.empty()) append += " " + extra_cmdline;
  command.insert(command.end(), {"-nographic", "-no-reboot", "-kernel", kernel, "-initrd", initrd,
                                 "-append", append});
  return command;
}

QemuBoot boot_qemu(const QemuPlatform& platform, const std::string& kernel,
                   const std::string& initrd, double timeout_seconds, bool show_console,
                   CommandRunner& runner) {
  QemuBoot boot;
  boot.command = qemu_command(platform, kernel, initrd);
  boot.outcome.timeout_seconds = timeout_seconds;
  boot.start_time = now_rfc3339();
  if (!runner.exists(platform.binary)) {
    boot.outcome.started = false;
    boot.outcome.infrastructure_error = platform.binary + " is not installed";
    return boot;
  }
  PanicWatcher watcher;
  RunOptions options;
  options.merge_stderr = true;
  options.timeout = std::chrono::milliseconds(static_cast<long long>(timeout_seconds * 1000));
  options.on_output = [&](std::string_view chunk) {
    if (show_console) {
      std::fwrite(chunk.data(), 1, chunk.size(), stderr);
    }
    return !watcher.feed(chunk);
  };
  RunResult result;
  try {
    result = runner.run(boot.command, options);
  } catch (const SpawnError& e) {
    boot.outcome.started = false;
    boot.outcome.infrastructure_error = e.what();
    return boot;
  }
  boot.duration = std::chrono::duration<double>(result.elapsed).count();
  boot.console = clean_console(result.out);
  boot.outcome.timed_out = result.timed_out;
  boot.outcome.stopped_on_panic = result.stopped;
  boot.outcome.exit_code = result.exit_code;
  // Killing the guest ourselves is not an emulator failure.
  if (result.timed_out || result.stopped) boot.outcome.exit_code = 0;
  if (!result.timed_out && !result.stopped && result.exit_code != 0 && boot.console.empty()) {
    boot.outcome.started = false;
    boot.outcome.infrastructure_error =
        platform.binary + " failed (exit status " + std::to_string(result.exit_code) + ")";
  }
  return boot;
}

namespace {

// Reads a JSON file; nullopt if missing or malformed.
std::optional<json::Document> read_json(const fs::path& path) {
  std::string text;
  try {
    text = read_file(path.string(), 64 << 20);
  } catch (const Error&) {
    return std::nullopt;
  }
  json::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError()) return std::nullopt;
  return doc;
}

std::string bmeta_string(const std::string& artifact_dir, const char* key) {
  auto doc = read_json(fs::path(artifact_dir) / "bmeta.json");
  if (!doc || !doc->IsObject()) return "";
  auto it = doc->FindMember(key);
  if (it == doc->MemberEnd() || !it->value.IsString()) return "";
  return std::string(json::str(it->value));
}

}  // namespace

std::optional<std::string> find_build_id(const std::string& artifact_dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(artifact_dir, ec)) {
    if (entry.path().extension() != ".json") continue;
    auto doc = read_json(entry.path());
    if (!doc || !doc->IsObject()) continue;
    auto builds = doc->FindMember("builds");
    if (builds == doc->MemberEnd() || !builds->value.IsArray() || builds->value.Empty()) continue;
    const json::Value& build = builds->value[0];
    if (build.IsObject() && build.HasMember("id") && build["id"].IsString()) {
      return std::string(json::str(build["id"]));
    }
  }
  std::string id = bmeta_string(artifact_dir, "build_id");
  if (!id.empty()) return id;
  return std::nullopt;
}

std::string find_kernel_image(const std::string& artifact_dir, const QemuPlatform& platform) {
  std::vector<std::string> names;
  if (std::string image = bmeta_string(artifact_dir, "kernel_image"); !image.empty()) {
    names.push_back(image);
  }
  names.insert(names.end(), platform.kernel_images.begin(), platform.kernel_images.end());
  for (const std::string& name : names) {
    fs::path path = fs::path(artifact_dir) / name;
    if (fs::is_regular_file(path)) return fs::absolute(path).string();
  }
  throw InvalidInputError("no kernel image for " + platform.name + " in " + artifact_dir +
                          " (looked for bmeta.json's kernel_image and " +
                          platform.kernel_images.front() + ")");
}

QemuTestRun run_qemu_test(const QemuTestOptions& options) {
  const QemuPlatform* platform = find_qemu_platform(options.platform);
  if (!platform) throw InvalidInputError("unknown QEMU platform " + options.platform);
  if (!is_known_plan(options.plan)) throw InvalidInputError("unknown test plan " + options.plan);
  if (!fs::is_directory(options.artifact_dir)) {
    throw InvalidInputError("no such artifact directory: " + options.artifact_dir);
  }
  std::string kernel = find_kernel_image(options.artifact_dir, *platform);
  std::string build_id;
  if (options.build_id) {
    build_id = *options.build_id;
  } else if (auto found = find_build_id(options.artifact_dir)) {
    build_id = *found;
  } else {
    throw InvalidInputError("no build id in " + options.artifact_dir +
                            " (no KCIDB build report there); pass --build-id");
  }

  RootfsRequest rootfs{platform->arch, options.plan, options.init_script, options.rootfs_cache};
  std::string initrd;
  QemuTestRun run;
  try {
    initrd = options.initrd ? *options.initrd : ensure_rootfs(rootfs);
  } catch (const Error& e) {
    // No root filesystem: the tests cannot run, which is the harness's
    // trouble, not the kernel's.
    run.boot.outcome.started = false;
    run.boot.outcome.infrastructure_error = std::string("no root filesystem: ") + e.what();
    run.boot.start_time = now_rfc3339();
  }
  if (!initrd.empty()) {
    log::info("kci: booting " + kernel + " on " + platform->name + " (plan " + options.plan +
              ", timeout " + std::to_string(std::lround(options.timeout_seconds)) + " s)");
    run.boot = boot_qemu(*platform, kernel, initrd, options.timeout_seconds, options.show_console,
                         options.runner ? *options.runner : subprocess_runner());
    char elapsed[32];
    std::snprintf(elapsed, sizeof elapsed, "%.1f s", run.boot.duration);
    log::info(std::string("kci: guest ended after ") + elapsed +
              (run.boot.outcome.timed_out ? " (timeout)" : "") +
              (run.boot.outcome.stopped_on_panic ? " (stopped after a kernel panic)" : ""));
  }
  if (!run.boot.outcome.started) {
    log::error("kci: " + run.boot.outcome.infrastructure_error);
  }
  run.outcomes = evaluate_plan(options.plan, run.boot.console, run.boot.outcome);

  // The logs, beside the artifacts.
  std::string stem = "test-" + options.plan + "-" + platform->name;
  fs::path dir = fs::absolute(options.artifact_dir);
  run.log_path = (dir / (stem + ".log")).string();
  run.html_path = (dir / (stem + ".html")).string();
  write_file_atomic(run.log_path, run.boot.console);
  write_file_atomic(run.html_path,
                    console_log_html(run.boot.console, options.plan + " on " + platform->name));
  auto url_of = [&](const std::string& name) {
    if (options.artifact_url.empty()) return file_url_of_path((dir / name).string());
    std::string base = options.artifact_url;
    if (!base.empty() && base.back() == '/') base.pop_back();
    return base + "/" + name;
  };

  TestRunContext context;
  context.origin = options.origin;
  context.build_id = build_id;
  context.run_id = make_run_id(build_id + platform->name + options.plan);
  context.start_time = run.boot.start_time;
  context.duration = run.boot.duration;
  context.environment_comment = platform->name + " in lab kci-qemu (QEMU, TCG)";
  context.log_url = url_of(stem + ".log");
  context.output_files = {{stem + ".log", url_of(stem + ".log")},
                          {stem + ".html", url_of(stem + ".html")}};
  std::string command;
  for (const std::string& arg : run.boot.command) {
    if (!command.empty()) command += ' ';
    command += shell_quote(arg);
  }
  context.misc = {{"runtime", "qemu"},
                  {"lab", "kci-qemu"},
                  {"platform", platform->name},
                  {"plan", options.plan},
                  {"qemu_command", command},
                  {"timeout_seconds", std::to_string(static_cast<int>(options.timeout_seconds))}};
  if (run.boot.outcome.timed_out) context.misc.emplace_back("ended_by", "timeout");
  if (run.boot.outcome.stopped_on_panic) context.misc.emplace_back("ended_by", "kernel panic");
  if (!run.boot.outcome.started) {
    context.misc.emplace_back("infrastructure_error", run.boot.outcome.infrastructure_error);
  }
  run.report = make_test_report(run.outcomes, context);
  return run;
}

RuntimeRun QemuRuntime::run(const RuntimeJob& job) {
  QemuTestOptions options;
  options.artifact_dir = job.artifact_dir;
  options.artifact_url = job.artifact_url;
  options.platform = job.platform;
  options.plan = job.plan;
  options.timeout_seconds = job.timeout_seconds;
  options.build_id = job.build_id;
  options.origin = job.origin;
  options.rootfs_cache = options_.rootfs_cache;
  options.initrd = options_.initrd;
  options.show_console = options_.show_console;
  options.runner = &runner_;
  QemuTestRun test = run_qemu_test(options);
  RuntimeRun out;
  out.finished = true;
  out.outcomes = std::move(test.outcomes);
  out.report = std::move(test.report);
  return out;
}

}  // namespace kci::pipeline
