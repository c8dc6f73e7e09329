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

#include "pipeline/config.h"

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
  // The kernel version (git describe) for "kernel" filter keys.
  std::optional<std::string> kernel_version;
};

// The build matrix of every matching build config. Throws ConfigError on a
// bad regex.
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
