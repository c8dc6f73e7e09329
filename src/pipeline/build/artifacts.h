// SPDX-License-Identifier: LGPL-2.1-or-later
// The artifact store: a folder laid out as KernelCI's storage is,
// <tree>/<branch>/<describe>/<arch>/<config>/<toolchain>/<file>, and the
// URLs under which its files are published (--artifact-url; by default the
// file:// URL of the folder itself).
#pragma once

#include <string>
#include <string_view>

namespace kci::pipeline {

struct PublishPathParts {
  std::string tree;
  std::string branch;
  std::string describe;
  std::string arch;
  std::string config;     // defconfig_full
  std::string toolchain;  // build environment: gcc, clang-14
};

// One path component: characters other than letters, digits and "._+=,-"
// become '_' (a branch "for-next/core" becomes "for-next_core"), so each
// part stays one directory and the path stays a plain URL path.
std::string path_component(std::string_view text);

// "tree/branch/describe/arch/config/toolchain", each part a path_component.
std::string publish_path(const PublishPathParts& parts);

// Percent-encodes what may not appear in a URL path (spaces, '%', '#', '?',
// non-ASCII); '/' is kept.
std::string url_encode_path(std::string_view path);

// "file:///abs/dir" for a local directory (made absolute).
std::string file_url(const std::string& directory);

// base + "/" + relative path, percent-encoded; a trailing '/' of base is
// not doubled.
std::string artifact_url(std::string_view base, std::string_view relative_path);

// The default artifact store: $KCI_ARTIFACTS, else ./artifacts.
std::string default_artifacts_dir();

}  // namespace kci::pipeline
