// SPDX-License-Identifier: LGPL-2.1-or-later
// The QEMU runtime: boots a kernel from an artifact directory with a kci
// initramfs under TCG (KVM is not usable on the CI machines), watches the
// serial console live, stops the guest as soon as a panic has been printed,
// enforces its own timeout (QEMU exits 0 even after a panic, and a hung
// guest never exits), and turns the console into KCIDB tests.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pipeline/runtime/runtime.h"
#include "pipeline/runtime/testplan.h"
#include "report/json.h"
#include "report/model.h"
#include "util/command_runner.h"

namespace kci::pipeline {

struct QemuPlatform {
  std::string name;                        // qemu-x86_64
  std::string arch;                        // kernel architecture name: x86_64, arm64, riscv64
  std::string binary;                      // qemu-system-x86_64
  std::vector<std::string> machine_args;   // -machine/-cpu/-bios ...
  std::string console;                     // ttyS0 / ttyAMA0
  std::vector<std::string> kernel_images;  // names to look for, best first
  std::string kernel_args;                 // added to the kernel command line
};

const std::vector<QemuPlatform>& qemu_platforms();
const QemuPlatform* find_qemu_platform(const std::string& name);

// The QEMU command line for one boot.
std::vector<std::string> qemu_command(const QemuPlatform& platform, const std::string& kernel,
                                      const std::string& initrd,
                                      const std::string& extra_cmdline = "");

struct QemuBoot {
  std::vector<std::string> command;
  std::string console;  // cleaned serial output (escape sequences removed)
  BootOutcome outcome;
  std::string start_time;  // RFC 3339
  double duration = 0;     // seconds
};

// Runs one boot through runner. Never throws for guest trouble; a missing
// QEMU gives outcome.started = false.
QemuBoot boot_qemu(const QemuPlatform& platform, const std::string& kernel,
                   const std::string& initrd, double timeout_seconds, bool show_console = false,
                   CommandRunner& runner = subprocess_runner());

struct QemuTestOptions {
  std::string artifact_dir;
  std::string plan = "baseline";
  std::string platform = "qemu-x86_64";
  double timeout_seconds = 300;
  std::optional<std::string> build_id;     // overrides what the artifact dir says
  std::optional<std::string> init_script;  // replaces the plan's /init
  std::string origin = "kci";
  std::string artifact_url;   // public URL of artifact_dir; default file://
  std::string rootfs_cache;   // default_rootfs_cache_dir() if empty
  bool show_console = false;  // copy the console to stderr as it arrives
  // An initramfs to boot instead of kci's own for the plan (which is built
  // into rootfs_cache when missing).
  std::optional<std::string> initrd;
  CommandRunner* runner = nullptr;  // runs QEMU; nullptr: subprocess_runner()
};

struct QemuTestRun {
  QemuBoot boot;
  std::vector<TestOutcome> outcomes;
  report::Report report;  // the tests (report::to_json: KCIDB v5.3)
  std::string log_path;
  std::string html_path;
};

// The whole `kci test` flow: find the kernel image, make (or reuse) the
// initramfs, boot, store the log as text and HTML beside the artifacts,
// evaluate the plan and build the report. Throws Error for bad input (no
// kernel image, unknown platform or plan).
QemuTestRun run_qemu_test(const QemuTestOptions& options);

// The QEMU runtime behind the Runtime seam: run() is run_qemu_test.
class QemuRuntime final : public Runtime {
 public:
  struct Options {
    std::string rootfs_cache{};  // default_rootfs_cache_dir() if empty
    std::optional<std::string> initrd{};
    bool show_console = false;
  };
  explicit QemuRuntime(Options options, CommandRunner& runner = subprocess_runner())
      : options_(std::move(options)), runner_(runner) {}
  std::string name() const override { return "qemu"; }
  RuntimeRun run(const RuntimeJob& job) override;

 private:
  Options options_;
  CommandRunner& runner_;
};

// The build id of the artifacts: from a KCIDB report in the directory
// (*.json with a "builds" list), or bmeta.json's build_id; nullopt if none.
std::optional<std::string> find_build_id(const std::string& artifact_dir);

// The kernel image in artifact_dir for the platform (bmeta.json's
// kernel_image first, then the usual names). Throws Error if none.
std::string find_kernel_image(const std::string& artifact_dir, const QemuPlatform& platform);

}  // namespace kci::pipeline
