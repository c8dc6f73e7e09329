// SPDX-License-Identifier: LGPL-2.1-or-later
// Expanding build configs into the list of kernels to build, with
// KernelCI's rules (kernelci-core kernelci/build.py list_kernel_configs):
// for each variant (build environment) and each of its architectures, the
// candidate defconfigs are
//   - the arch's base_defconfig;
//   - for every fragment of the variant and of the arch: either the
//     fragment's own make target (a fragment with `defconfig:`, such as
//     tinyconfig) or base_defconfig+fragment;
//   - the arch's extra_configs as written;
//   - with a kernel source tree, every arch/<arch>/configs/*defconfig;
// and a candidate is kept when every filter of the arch accepts it.
// KernelCI keeps them in a set; kci sorts them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/config/config.h"

namespace kci::pipeline {

struct MatrixEntry {
  std::string build_config;
  std::string tree;
  std::string tree_url;
  std::string branch;
  std::string variant;
  std::string build_environment;
  std::string cc;          // the build environment's compiler: "gcc", "clang"
  std::string cc_version;  // as configured, e.g. "12"
  std::string arch;
  std::string cross_compile;  // the build environment's or the job's, if any
  // The kbuild job this build comes from (newer pipeline); empty for a
  // build of build_configs variants.
  std::string job;
  // Full defconfig: "defconfig", "defconfig+CONFIG_X=y+kselftest",
  // "tinyconfig". Fragments appear by name, as in KernelCI's defconfig_full.
  std::string defconfig;
};

struct MatrixOptions {
  std::optional<std::string> tree;
  std::optional<std::string> branch;
  std::optional<std::string> build_config;
  std::optional<std::string> variant;
  std::optional<std::string> arch;
  // A kernel source tree: its arch/<arch>/configs/*defconfig files are
  // candidates too, and fragments without `configs` (kept in the kernel,
  // like debug.config) count only when their file is there.
  std::optional<std::string> kernel_dir;
  // The kernel version (git describe) for "kernel" filter keys, and for
  // the min_version / max_version rules of kbuild jobs.
  std::optional<std::string> kernel_version;
};

struct Matrix {
  std::vector<MatrixEntry> entries;
  // (build config, job) of kbuild jobs left out because their rules need
  // the kernel version and options.kernel_version is not given.
  std::vector<std::pair<std::string, std::string>> needs_version;
  // Builds of kbuild jobs dropped because an identical build (same tree,
  // branch, arch, build environment and defconfig) came earlier.
  std::size_t duplicates = 0;
};

// The build matrix of every matching build config. Throws ConfigError on a
// bad regex. First the builds of build_configs variants (the rules above),
// then for each build config, in order, the kbuild jobs a checkout of its
// tree and branch schedules, sorted by job name: a job is built when
//  - a scheduler entry names it with an event that a new checkout matches
//    (event_matches with checkout_event()) and a runtime the configuration
//    defines (by name, else any runtime of its type);
//  - its arch is in the build config's `architectures`, if it has any
//    (KernelCI's architecture_filter);
//  - the rules of the scheduler entry, of the job and of the runtime allow
//    the checkout: its tree, branch and (options.kernel_version) version.
// The build of a job identical to an earlier build (same tree, branch,
// arch, build environment and defconfig) is dropped: the build_configs
// one, or the job first in name order, is kept.
Matrix expand_build_matrix(const PipelineConfig& config, const MatrixOptions& options);
// expand_build_matrix(...).entries
std::vector<MatrixEntry> expand_matrix(const PipelineConfig& config, const MatrixOptions& options);

// Whether one KernelCI filter accepts a build described by params (keys
// arch, defconfig, kernel, tree, branch, build_environment):
//  - passlist: every key of the filter is in params and its value contains
//    one of the listed strings;
//  - blocklist: rejects when any listed string is contained in the value of
//    its key (keys missing from params are ignored);
//  - regex: every key is in params and its value matches from the start
//    (Python re.match);
//  - combination: the tuple of params values for the keys is listed.
bool filter_accepts(const Filter& filter, const std::map<std::string, std::string>& params);

}  // namespace kci::pipeline
