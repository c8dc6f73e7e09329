// SPDX-License-Identifier: LGPL-2.1-or-later
// Keeping a build directory's .config from one build to the next.
//
// Why: in a persistent build directory (kci run's --incremental-builds, a
// bisection's steps) the config steps (make DEFCONFIG, merging the
// fragments, olddefconfig) cost 15-20 s each build, more than the
// incremental kernel step of a one-file change. They can be skipped when
// nothing the configuration depends on changed since the .config was made:
// the same request (arch, toolchain, defconfig, fragments) and no Kconfig
// file, defconfig, in-tree fragment, kconfig script or config Makefile
// between the commit that made it and the commit being built. The build
// directory keeps a stamp (.kci-config-stamp) saying which commit and
// request made its .config, and the .config's digest, so that a .config
// changed by anything else is never trusted.
#pragma once

#include <string>

#include "util/command_runner.h"

namespace kci::pipeline {

// Whether a file changed between two commits can change the configuration
// that DEFCONFIG+FRAGMENTS gives (a path relative to the tree's top, as
// `git diff --name-only` prints it). srcarch: the architecture's directory
// under arch/ (x86 for x86_64).
bool affects_config(const std::string& path, const std::string& srcarch);

// What a .config is made from, as one key: arch, toolchain, defconfig and
// the merged fragment text.
std::string config_stamp_key(const std::string& arch, const std::string& toolchain,
                             const std::string& defconfig, const std::string& fragment_text);

// The build directory's config stamp. Written after a build whose config
// steps ran to the end: the commit they ran at, the key and the digest of
// .config as it is now; an empty commit or key removes it. Read: that
// commit, when the stamp's key is `key` and .config is still the one it
// describes; "" otherwise.
void write_config_stamp(const std::string& build_dir, const std::string& key,
                        const std::string& commit);
std::string read_config_stamp(const std::string& build_dir, const std::string& key);

// Whether configuring `to` gives the .config that configuring `from` gave:
// no file between them affects the configuration (git diff in source_dir).
// False when git cannot tell.
bool config_unchanged_between(const std::string& source_dir, const std::string& from,
                              const std::string& to, const std::string& srcarch,
                              CommandRunner& runner);

}  // namespace kci::pipeline
