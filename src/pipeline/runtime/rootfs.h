// SPDX-License-Identifier: LGPL-2.1-or-later
// Root filesystems for QEMU boots, made by kci from Debian packages: a
// gzip'd initramfs holding busybox-static (x86_64: the host's package;
// arm64: busybox-static:arm64, which scripts/install-deps.sh downloads with
// a private apt state into the kci cache, so the machine's dpkg
// architectures stay untouched; library code never runs apt-get) or, for
// riscv64 where Debian bookworm has no busybox, a small static init built
// with riscv64-linux-gnu-gcc. Images are cached by content.
#pragma once

#include <optional>
#include <string>

namespace kci::pipeline {

struct RootfsRequest {
  std::string arch;                        // x86_64, arm64, riscv64
  std::string plan;                        // baseline, kunit
  std::optional<std::string> init_script;  // replaces the plan's /init (busybox sh)
  std::string cache_dir;                   // empty = default_rootfs_cache_dir()
};

// $KCI_CACHE, else $XDG_CACHE_HOME/kci, else ~/.cache/kci. Holds
// busybox-arm64, which scripts/install-deps.sh fetches.
std::string default_kci_cache_dir();

// default_kci_cache_dir()/rootfs.
std::string default_rootfs_cache_dir();

// Returns the path of the initramfs (.cpio.gz), building it if it is not in
// the cache. Progress goes to stderr. Throws Error (with what to install)
// when a needed tool or package is missing.
std::string ensure_rootfs(const RootfsRequest& request);

}  // namespace kci::pipeline
