// SPDX-License-Identifier: LGPL-2.1-or-later
// The real StepRunner: builds the checked-out kernel with kci's kbuild in a
// persistent build directory (so every step after the first is incremental,
// with ccache), and runs one test of a plan by booting it in the QEMU
// runtime. The test's KCIDB status is the run's status.
#pragma once

#include <string>

#include "bisect/bisector.h"
#include "pipeline/build/kbuild.h"

namespace kci::bisect {

struct KernelStepOptions {
  std::string source_dir;  // the git tree the Bisector checks out
  std::string arch = "x86_64";
  std::string toolchain = "gcc";
  std::string config = "tinyconfig";  // DEFCONFIG[+FRAGMENT]...
  std::string build_dir;              // persistent, reused by every step
  std::string artifacts_dir;          // where each step's artifacts are published
  bool ccache = true;
  // Named config fragments (the pipeline configuration's), as kci build
  // resolves them; empty: only inline, file and in-tree fragments.
  pipeline::NamedFragmentLookup fragment_lookup;
  // Every step builds with this KBUILD_BUILD_TIMESTAMP and
  // KBUILD_BUILD_VERSION (user and host are always fixed), so a commit that
  // does not change the kernel gives a byte-identical image: what makes
  // BisectResult::identical_image meaningful. (A config with
  // CONFIG_LOCALVERSION_AUTO=y still puts the commit hash in the image.)
  std::string build_timestamp = "Sat Jan  1 00:00:00 UTC 2000";
  std::string build_version = "1";
  int jobs = 0;
  double build_timeout_seconds = 3600;
  // The test: a plan run on a platform, and the path of the test case whose
  // status decides (e.g. baseline.dmesg.crit, or baseline.login).
  std::string plan = "baseline";
  std::string platform = "qemu-x86_64";
  std::string test_path;
  double boot_timeout_seconds = 120;
  std::string rootfs_cache;  // default: the runtime's
  bool progress = true;      // one line per build and boot on stderr
};

class KernelStepRunner : public StepRunner {
 public:
  explicit KernelStepRunner(KernelStepOptions options);
  BuildOutcome build(const std::string& commit) override;
  TestOutcome test(const std::string& commit) override;

 private:
  KernelStepOptions options_;
  std::string last_artifacts_;  // publish directory of the last good build
  std::string last_commit_;
};

}  // namespace kci::bisect
