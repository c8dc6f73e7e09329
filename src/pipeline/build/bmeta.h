// SPDX-License-Identifier: LGPL-2.1-or-later
// bmeta.json, the build metadata KernelCI's kci_build writes beside the
// artifacts (the flat legacy format: build_time, compiler, defconfig_full,
// git_*, vmlinux_*_size, text_offset, status ...), and the helpers that
// measure a built vmlinux for it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kci::pipeline {

// Section sizes as `size` (Berkeley format) prints them for vmlinux.
struct VmlinuxSizes {
  std::uint64_t text = 0;
  std::uint64_t data = 0;
  std::uint64_t bss = 0;
};

// Parses the output of `size FILE` (header line, then "text data bss dec hex
// filename"). nullopt if it does not look like that.
std::optional<VmlinuxSizes> parse_size_output(std::string_view output);

// The address of the _text symbol in a System.map ("ffffffff81000000 T
// _text"), as "0xffffffff81000000". nullopt if absent.
std::optional<std::string> text_offset_from_system_map(std::string_view system_map);

struct BuildMeta {
  std::string status;             // PASS, FAIL or ERROR
  double build_time = 0;          // seconds, all steps
  std::string build_environment;  // the toolchain name: gcc, clang-14
  int build_threads = 0;
  std::string arch;
  std::string compiler;  // gcc / clang
  std::string compiler_version;
  std::string compiler_version_full;
  std::string cross_compile;
  std::string defconfig;
  std::string defconfig_full;
  std::vector<std::string> kconfig_fragments;  // as given after defconfig
  std::string git_url;
  std::string git_branch;
  std::string git_commit;
  std::string git_describe;
  std::string git_describe_v;  // git describe --long
  std::string tree;
  std::string publish_path;  // tree/branch/describe/arch/config/toolchain
  std::string kernel_image;  // file name in the artifact dir: bzImage
  std::optional<std::uint64_t> kernel_image_size;
  std::string kernel_config;  // kernel.config
  std::string system_map;     // System.map
  std::string modules;        // modules.tar.xz, "" if none
  std::string dtb_dir;        // dtbs, "" if none
  std::string build_log;      // build.log
  std::optional<VmlinuxSizes> vmlinux_sizes;
  std::optional<std::uint64_t> vmlinux_file_size;
  std::string text_offset;
  bool use_ccache = false;
  std::string start_time;     // RFC 3339
  std::string status_reason;  // why FAIL or ERROR, "" for PASS
};

// The JSON text of bmeta.json (pretty-printed, ends with a newline).
// Fields that are unknown (empty strings, missing sizes) are left out.
std::string bmeta_json(const BuildMeta& meta);

}  // namespace kci::pipeline
