// SPDX-License-Identifier: LGPL-2.1-or-later
// The real StepRunner: builds the checked-out kernel with kci's kbuild in a
// persistent build directory (so every step after the first is incremental,
// with ccache), and runs one test of a plan by booting it in the QEMU
// runtime. The test's KCIDB status is the run's status.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

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
  // A commit is not built again when a build of this bisection (PASS)
  // already had the same inputs: the same commit, or one whose differences
  // from it are all in files that build did not read (kbuild's own
  // dependency records, the .*.cmd files), outside the build system
  // (Makefiles, Kbuild, Kconfig, scripts/, tools/, usr/) and outside
  // arch/<srcarch>/. Its image would be byte-identical: the step boots the
  // earlier build's artifacts and costs no make run.
  bool reuse_builds = true;
  // ... except in the checks of a build bisection, where the build itself
  // is what the checks repeat.
  bool rebuild_in_checks = false;
  // Keep the build directory's .config between steps whose commits differ in
  // nothing the configuration depends on (Kconfig files, defconfigs and
  // fragments, scripts/, the top and arch Makefiles): the config steps cost
  // more than the incremental build of a one-file change. Across runs too:
  // the build directory keeps a stamp (pipeline/build/config_stamp.h), so
  // the first step of the next bisection in it, or kci run's next build in
  // its --incremental-builds directory, skips the config steps on the same
  // terms.
  bool reuse_config = true;
};

// What build_inputs read from each .*.cmd file, kept between calls: a
// file whose size and modification time are unchanged is not read again
// (an incremental build rewrites the .cmd files of what it rebuilt only).
struct BuildInputsCache {
  struct Entry {
    std::filesystem::file_time_type mtime;
    std::uintmax_t size = 0;
    std::vector<std::string> inputs;
  };
  std::string source_prefix;  // the cache holds for one source tree
  std::unordered_map<std::string, Entry> files;
};

// The files of the source tree that the builds in build_dir read, relative
// to source_dir: every absolute path under source_dir in kbuild's .*.cmd
// files (the compiler's dependency lists and command lines). With a cache,
// only the .cmd files changed since the last call are read.
std::set<std::string> build_inputs(const std::string& build_dir, const std::string& source_dir,
                                   BuildInputsCache* cache = nullptr);

// Whether a change of `path` can change a build that read `inputs`.
bool affects_build(const std::string& path, const std::set<std::string>& inputs,
                   const std::string& srcarch);

class KernelStepRunner : public StepRunner {
 public:
  explicit KernelStepRunner(KernelStepOptions options);
  BuildOutcome build(const std::string& commit) override;
  TestOutcome test(const std::string& commit) override;
  void begin_checks() override { checking_ = true; }
  // Added to the environment of every make, QEMU and git it starts
  // (KCI_BISECT_RUN: what a stop or the recovery of a killed run finds and
  // kills them by).
  void set_environment(const std::map<std::string, std::string>& env) override {
    runner_.env = env;
  }

 private:
  // The subprocess runner, with env added to each command's environment.
  struct EnvRunner final : CommandRunner {
    std::map<std::string, std::string> env;
    RunResult run(const std::vector<std::string>& argv, const RunOptions& options) override;
    bool exists(const std::string& program) override;
  };
  struct Built {
    std::string commit;  // the commit really built
    std::string publish_dir;
    std::string image_digest;
    std::shared_ptr<const std::set<std::string>> inputs;
  };
  // The files changed between two commits; nullopt if git cannot say.
  std::optional<std::vector<std::string>> changed_files(const std::string& from,
                                                        const std::string& to);
  // An earlier build with the same inputs as `commit`, if any.
  const Built* same_build(const std::string& commit);

  KernelStepOptions options_;
  std::string srcarch_;
  std::string last_artifacts_;  // publish directory of the last good build
  std::string last_commit_;
  bool checking_ = false;
  std::map<std::string, Built> built_;  // by commit, reused ones too
  std::vector<Built> made_;             // the real builds, oldest first
  BuildInputsCache inputs_cache_;
  EnvRunner runner_;
};

}  // namespace kci::bisect
