// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/build/config_stamp.h"

#include <chrono>
#include <filesystem>
#include <vector>

#include "util/error.h"
#include "util/file.h"
#include "util/sha256.h"

namespace kci::pipeline {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStampFile = ".kci-config-stamp";
constexpr const char* kStampVersion = "kci-config-stamp 1";

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

std::string file_digest(const fs::path& path) {
  try {
    return sha256_hex(read_file(path.string()));
  } catch (const Error&) {
    return "";
  }
}

}  // namespace

bool affects_config(const std::string& path, const std::string& srcarch) {
  std::size_t slash = path.rfind('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  // Kconfig, Kconfig.debug, ...: the options and their defaults; configs/
  // (arch/*/configs, kernel/configs): defconfigs and in-tree fragments;
  // scripts/: kconfig itself and the shell helpers Kconfig runs; the
  // Makefiles that define the config targets and the toolchain tests.
  return starts_with(base, "Kconfig") || path.find("configs/") != std::string::npos ||
         starts_with(path, "scripts/") || path == "Makefile" ||
         path == "arch/" + srcarch + "/Makefile";
}

std::string config_stamp_key(const std::string& arch, const std::string& toolchain,
                             const std::string& defconfig, const std::string& fragment_text) {
  return sha256_hex(arch + "\n" + toolchain + "\n" + defconfig + "\n" + fragment_text);
}

std::string read_config_stamp(const std::string& build_dir, const std::string& key) {
  if (build_dir.empty() || key.empty()) return "";
  std::string text;
  try {
    text = read_file((fs::path(build_dir) / kStampFile).string(), 4096);
  } catch (const Error&) {
    return "";
  }
  // version, key, commit, digest of .config: one a line.
  std::vector<std::string> lines;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  if (lines.size() != 4 || lines[0] != kStampVersion || lines[1] != key) return "";
  std::string digest = file_digest(fs::path(build_dir) / ".config");
  if (digest.empty() || digest != lines[3]) return "";
  return lines[2];
}

void write_config_stamp(const std::string& build_dir, const std::string& key,
                        const std::string& commit) {
  if (build_dir.empty()) return;
  fs::path stamp = fs::path(build_dir) / kStampFile;
  std::string digest = file_digest(fs::path(build_dir) / ".config");
  std::error_code ec;
  if (key.empty() || commit.empty() || digest.empty()) {
    fs::remove(stamp, ec);
    return;
  }
  try {
    write_file_atomic(stamp.string(), std::string(kStampVersion) + "\n" + key + "\n" + commit +
                                          "\n" + digest + "\n");
  } catch (const Error&) {
    fs::remove(stamp, ec);
  }
}

bool config_unchanged_between(const std::string& source_dir, const std::string& from,
                              const std::string& to, const std::string& srcarch,
                              CommandRunner& runner) {
  if (from.empty() || to.empty()) return false;
  if (from == to) return true;
  RunOptions options;
  options.env = {{"LC_ALL", "C"}, {"GIT_TERMINAL_PROMPT", "0"}};
  options.timeout = std::chrono::minutes(5);
  RunResult diff;
  try {
    diff = runner.run({"git", "-C", source_dir, "diff", "--no-renames", "--name-only", from, to},
                      options);
  } catch (const Error&) {
    return false;
  }
  if (!diff.ok()) return false;
  for (std::size_t start = 0; start < diff.out.size();) {
    std::size_t end = diff.out.find('\n', start);
    if (end == std::string::npos) end = diff.out.size();
    if (end > start && affects_config(diff.out.substr(start, end - start), srcarch)) return false;
    start = end + 1;
  }
  return true;
}

}  // namespace kci::pipeline
