// SPDX-License-Identifier: LGPL-2.1-or-later
// One kernel build, as KernelCI's kci_build does it: configure out of tree
// (make O=B DEFCONFIG, merge_config.sh with the fragments, olddefconfig),
// build the architecture's image, modules and dtbs, and publish the
// artifacts (image, System.map, kernel.config, modules.tar.xz, dtbs/,
// build.log, bmeta.json, reproducer.sh) into the artifact store. The verdict
// separates the kernel's fault (FAIL: it did not compile) from the
// machine's (ERROR: no toolchain, disk full, killed).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/build/bmeta.h"
#include "pipeline/build/kbuild_log.h"
#include "pipeline/build/toolchain.h"
#include "report/status.h"
#include "util/command_runner.h"

namespace kci::pipeline {

// "DEFCONFIG[+FRAGMENT][+CONFIG_X=y]...".
struct ConfigSpec {
  std::string defconfig;               // a make target: tinyconfig, defconfig, ...
  std::vector<std::string> fragments;  // the '+'-separated rest, as given
};

// Throws UsageError for an empty defconfig or fragment.
ConfigSpec parse_config_spec(const std::string& text);

// A fragment resolved to its Kconfig lines.
struct ConfigFragment {
  std::string token;    // as given on the command line
  std::string name;     // as it appears in defconfig_full
  std::string content;  // Kconfig lines, newline-terminated
  std::string source;   // where it came from: "inline", a file path, "config:<name>"
};

// Looks a fragment name up in the pipeline configuration (config/kci.yaml):
// its config lines, or nullopt if there is no such fragment.
using NamedFragmentLookup =
    std::function<std::optional<std::vector<std::string>>(const std::string& name)>;

// Resolves one fragment token, in this order: inline "CONFIG_X=y" / "# CONFIG_X
// is not set"; an existing file (path, relative to the current directory);
// a named fragment of the pipeline configuration (lookup may be empty); an
// in-tree fragment (kernel/configs/NAME.config, arch/SRCARCH/configs/NAME.config).
// Throws UsageError naming all the places looked at.
ConfigFragment resolve_fragment(const std::string& token, const std::string& source_dir,
                                const std::string& srcarch, const NamedFragmentLookup& lookup);

// defconfig_full: "tinyconfig+x86_64-boot+CONFIG_KUNIT=y".
std::string config_full_name(const std::string& defconfig,
                             const std::vector<ConfigFragment>& fragments);

// The content of kernelci.config, the one fragment file merged into .config.
std::string merged_fragment_text(const std::vector<ConfigFragment>& fragments);

// What `git` says about the source tree (all empty when it is not a git tree).
struct GitInfo {
  bool is_git = false;
  std::string commit;         // 40 hex
  std::string describe;       // git describe --always --tags
  std::string describe_long;  // git describe --always --tags --long
  std::string branch;         // checked-out branch, "" if detached
  std::string url;            // remote.origin.url
  std::string commit_date;    // committer date, RFC 2822 (KBUILD_BUILD_TIMESTAMP)
};

GitInfo read_git_info(const std::string& source_dir, CommandRunner& runner = subprocess_runner());

// A build's verdict: PASS, FAIL or ERROR, in the one status type of KCIDB
// results (report/status.h).
using BuildStatus = report::Status;
using report::status_name;

enum class ProgressStyle {
  kNone,      // quiet
  kLines,     // one line per step on stderr (logs, CI)
  kTerminal,  // a live status line rewritten in place
};

struct BuildRequest {
  std::string source_dir;
  std::optional<std::string> commit;  // checked out (detached) before building
  std::string arch;
  std::string toolchain;
  std::string config;                        // DEFCONFIG[+FRAGMENT]...
  std::string artifacts_dir;                 // the store's root
  std::optional<std::string> artifact_url;   // base URL of the store; default file://
  std::string build_dir;                     // empty: kci-build/<arch>/<config>/<toolchain>
  std::optional<std::string> tree;           // default: the source directory's name
  std::optional<std::string> branch;         // default: the checked-out branch
  std::optional<std::string> git_url;        // default: remote.origin.url
  std::optional<std::string> cross_compile;  // overrides the default prefix
  int jobs = 0;                              // 0: one per CPU
  bool ccache = false;
  std::optional<std::chrono::seconds> timeout;  // the whole build; then ERROR
  ProgressStyle progress = ProgressStyle::kNone;
  NamedFragmentLookup fragment_lookup;
  // The build's identity in the kernel (init/version.c's UTS_VERSION, "#N
  // ... DATE"). User and host are always fixed (KernelCI, kci). By default
  // the date is the commit's committer date and N is make's counter in the
  // build directory (.version, one more per build). Bisection fixes both, so
  // that the same source gives a byte-identical image whichever commit it
  // was reached from and however often the directory was built.
  std::optional<std::string> build_timestamp;  // KBUILD_BUILD_TIMESTAMP
  std::optional<std::string> build_version;    // KBUILD_BUILD_VERSION
  // Whether the build directory's .config is kept and the config steps
  // (make DEFCONFIG, the fragments, olddefconfig) skipped.
  enum class ConfigReuse {
    kNever,
    // Whenever the directory has a .config: for a caller that knows that
    // nothing the configuration depends on changed since it was made.
    kExisting,
    // When the directory's config stamp (config_stamp.h) says its .config
    // was made from this request at a commit that differs from the one
    // built in nothing the configuration depends on; the stamp is written
    // after every build whose config steps ran. Persistent build
    // directories (kci run --incremental-builds, bisection steps).
    kWhenUnchanged,
  };
  ConfigReuse reuse_config = ConfigReuse::kNever;
  // Runs git, make, the compiler and size; nullptr: the real programs
  // (subprocess_runner()). Tests hand in a ScriptedRunner.
  CommandRunner* runner = nullptr;
};

// A file of the build's output in the artifact store.
struct OutputFile {
  std::string name;  // the KCIDB resource name (no '/'): bzImage, dtbs
  std::string path;  // relative to the publish directory; dirs end with '/'
};

struct StepRecord {
  std::string name;  // config, kernel, modules, dtbs
  std::string start_time;
  double duration = 0;
  bool ok = false;
  std::string command;  // the make command line, shell-quoted
};

struct BuildResult {
  BuildStatus status = BuildStatus::kError;
  std::string reason;  // why FAIL or ERROR, one line
  std::string start_time;
  double duration = 0;
  std::vector<StepRecord> steps;
  BuildLogSummary log_summary;
  std::string log_excerpt;  // only for FAIL and ERROR
  GitInfo git;
  std::string tree;
  std::string branch;
  ArchInfo arch;
  ToolchainSpec toolchain;
  ToolchainSetup setup;
  std::optional<CompilerVersion> compiler;
  ConfigSpec config;
  std::vector<ConfigFragment> fragments;
  std::string config_full;
  std::string build_dir;
  std::string publish_path;  // relative to the store
  std::string publish_dir;   // absolute
  std::string url_base;      // URL of publish_dir
  std::vector<OutputFile> outputs;
  std::string command;         // the main make command (the kernel step)
  bool config_reused = false;  // the config steps were skipped (BuildRequest::reuse_config)
  BuildMeta meta;
};

// Runs the build. Usage errors (bad arch, toolchain syntax, unknown fragment,
// missing source) throw UsageError before anything is built; a failure to
// check out the commit or to write the store throws Error. Everything else,
// including a missing compiler, is a verdict in the result.
BuildResult run_kbuild(const BuildRequest& request);

// The default build directory for a request whose build_dir is empty.
std::string default_build_dir(const std::string& arch, const std::string& config_full,
                              const std::string& toolchain);

// reproducer.sh: a POSIX shell script that rebuilds the same kernel by hand
// from the same source (without ccache).
struct ReproducerInput {
  std::string source_dir;
  std::string commit;  // "" when not a git tree
  std::string config_full;
  std::string arch;
  std::string toolchain;
  std::vector<std::pair<std::string, std::string>> environment;
  std::vector<std::string> make_variables;
  int jobs = 1;
  std::string defconfig;
  std::string fragment_text;         // kernelci.config, "" without fragments
  std::vector<std::string> targets;  // image target, "modules", "dtbs"
};
std::string reproducer_script(const ReproducerInput& input);

// Decides FAIL or ERROR for a make that did not succeed. killed/timed_out:
// the process ended by a signal or the timeout. configuring: the failing
// step was the configuration.
BuildStatus classify_failure(const BuildLogSummary& log, bool killed, bool timed_out,
                             bool configuring);

}  // namespace kci::pipeline
