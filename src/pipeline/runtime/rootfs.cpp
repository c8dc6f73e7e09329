// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/runtime/rootfs.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "pipeline/runtime/cpio.h"
#include "pipeline/runtime/testplan.h"
#include "util/error.h"
#include "util/file.h"
#include "util/log.h"
#include "util/sha256.h"
#include "util/subprocess.h"

namespace kci::pipeline {

namespace fs = std::filesystem;

namespace {

// Bump when the layout of the images changes, so old cache entries are not
// reused.
constexpr const char* kRootfsFormat = "kci-initramfs-1";

bool is_static_elf_for(const std::string& path, const std::string& arch) {
  std::string data;
  try {
    data = read_file(path, 64 << 20);
  } catch (const Error&) {
    return false;
  }
  if (data.size() < 20 || data.compare(0, 4,
                                       "\x7f"
                                       "ELF") != 0)
    return false;
  unsigned machine = static_cast<unsigned char>(data[18]) |
                     (static_cast<unsigned>(static_cast<unsigned char>(data[19])) << 8);
  // EM_X86_64 = 62, EM_AARCH64 = 183, EM_RISCV = 243.
  unsigned expected = arch == "x86_64" ? 62 : arch == "arm64" ? 183 : 243;
  return machine == expected;
}

// busybox-static for arm64 from Debian: scripts/install-deps.sh fetches it
// (with an apt state of its own: no dpkg --add-architecture on the host)
// into the kci cache; the library only looks for it.
std::string arm64_busybox(const fs::path& cache) {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("KCI_BUSYBOX_ARM64"); env && *env) {
    candidates.emplace_back(env);
  }
  candidates.push_back(fs::path(default_kci_cache_dir()) / "busybox-arm64");
  candidates.push_back(cache / "busybox-arm64");  // where earlier versions fetched it
  for (const fs::path& path : candidates) {
    if (is_static_elf_for(path.string(), "arm64")) return path.string();
  }
  throw Error("no arm64 busybox (" + candidates.front().string() +
              " is missing or not a static arm64 ELF): install busybox-static:arm64 with "
              "scripts/install-deps.sh test, or set KCI_BUSYBOX_ARM64");
}

std::string busybox_for(const std::string& arch, const fs::path& cache) {
  if (arch == "x86_64") {
    for (const char* path : {"/bin/busybox", "/usr/bin/busybox"}) {
      if (is_static_elf_for(path, arch)) return path;
    }
    throw Error("no x86_64 busybox: install busybox-static");
  }
  if (arch == "arm64") return arm64_busybox(cache);
  throw Error("no busybox for " + arch);
}

std::string build_static_init(const std::string& plan, const fs::path& work) {
  const std::string compiler = "riscv64-linux-gnu-gcc";
  if (!program_exists(compiler)) {
    throw Error(compiler + " not found: install gcc-riscv64-linux-gnu and libc6-dev-riscv64-cross");
  }
  fs::path source = work / "init.c";
  fs::path binary = work / "init";
  write_file_atomic(source.string(), static_init_source(plan));
  run_checked({compiler, "-static", "-Os", "-s", "-o", binary.string(), source.string()});
  return read_file(binary.string());
}

}  // namespace

std::string default_kci_cache_dir() {
  if (const char* kci = std::getenv("KCI_CACHE"); kci && *kci) return kci;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    return (fs::path(xdg) / "kci").string();
  }
  const char* home = std::getenv("HOME");
  return (fs::path(home && *home ? home : "/tmp") / ".cache" / "kci").string();
}

std::string default_rootfs_cache_dir() {
  return (fs::path(default_kci_cache_dir()) / "rootfs").string();
}

std::string ensure_rootfs(const RootfsRequest& request) {
  if (request.arch != "x86_64" && request.arch != "arm64" && request.arch != "riscv64") {
    throw Error("no root filesystem recipe for architecture " + request.arch);
  }
  fs::path cache = request.cache_dir.empty() ? default_rootfs_cache_dir() : request.cache_dir;
  fs::create_directories(cache);
  const bool use_busybox = request.arch != "riscv64" || request.init_script.has_value();
  if (request.arch == "riscv64" && request.init_script) {
    throw Error("a custom init script needs busybox, which riscv64 does not have");
  }
  std::string init = request.init_script ? *request.init_script
                     : use_busybox       ? busybox_init_script(request.plan)
                                         : static_init_source(request.plan);
  std::string key = sha256_hex(std::string(kRootfsFormat) + "\n" + request.arch + "\n" + init);
  fs::path image = cache / ("initramfs-" + request.arch + "-" + request.plan + "-" +
                            key.substr(0, 16) + ".cpio.gz");
  if (fs::exists(image)) return image.string();

  log::info("kci: building " + request.arch + " initramfs for plan " + request.plan);
  CpioWriter cpio;
  for (const char* dir : {"bin", "sbin", "dev", "proc", "sys", "tmp", "root", "etc"}) {
    cpio.add_directory(dir);
  }
  // The kernel opens /dev/console for init's stdio before anything mounts
  // devtmpfs, so the node must be in the archive itself.
  cpio.add_char_device("dev/console", 5, 1);
  cpio.add_char_device("dev/null", 1, 3, 0666);
  if (use_busybox) {
    cpio.add_file("bin/busybox", read_file(busybox_for(request.arch, cache)), 0755);
    cpio.add_symlink("bin/sh", "busybox");
    cpio.add_file("init", init, 0755);
  } else {
    fs::path work = cache / ("work-" + key.substr(0, 16));
    fs::create_directories(work);
    cpio.add_file("init", build_static_init(request.plan, work), 0755);
    fs::remove_all(work);
  }
  write_file_atomic(image.string(), gzip_compress(cpio.finish()));
  return image.string();
}

}  // namespace kci::pipeline
