// SPDX-License-Identifier: LGPL-2.1-or-later
// Target architectures and toolchains of a kernel build: which ARCH,
// CROSS_COMPILE, LLVM and CC values `make` gets for `--arch A --toolchain T`,
// and which image the architecture builds by default. Pure computation; the
// only lookups of the machine are done by the functions that say so.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/command_runner.h"
#include "util/error.h"

namespace kci::pipeline {

// A target architecture as the kernel's build system names it.
struct ArchInfo {
  std::string arch;          // ARCH= value and KCIDB architecture: x86_64, arm64, riscv
  std::string srcarch;       // the arch/<srcarch>/ directory: x86, arm64, riscv
  std::string image_target;  // default image make target: bzImage, Image, zImage
  std::string image_path;    // relative to the build dir: arch/x86/boot/bzImage
  std::string gnu_triplet;   // prefix of the Debian cross toolchain, without the '-'
  std::string llvm_target;   // how clang names it (informational)
};

// Resolves an architecture name: the kernel's ARCH names plus the usual
// aliases (aarch64 -> arm64, riscv64 -> riscv, amd64 -> x86_64). Throws
// UsageError listing the known ones.
ArchInfo arch_info(const std::string& name);
std::vector<std::string> known_arches();

// The architecture of the machine kci runs on, as ARCH= names it.
std::string host_arch();

enum class CompilerFamily { kGcc, kClang };

// --toolchain gcc|gcc-N|clang|clang-N.
struct ToolchainSpec {
  CompilerFamily family = CompilerFamily::kGcc;
  std::optional<int> version;  // N of gcc-N / clang-N
  std::string name;            // as given, e.g. "clang-14"; the build environment name
};

// Throws UsageError for anything else.
ToolchainSpec parse_toolchain(const std::string& text);

// Everything make needs to use a toolchain for an architecture.
struct ToolchainSetup {
  std::string compiler;       // the C compiler program: gcc-12, aarch64-linux-gnu-gcc, clang-14
  std::string cross_compile;  // CROSS_COMPILE value ("" for a native gcc build)
  std::vector<std::string> make_variables;     // ARCH=..., CROSS_COMPILE=..., LLVM=..., CC=...
  std::vector<std::string> required_programs;  // must be in PATH for the build to run
};

// The make variables of an (arch, toolchain) pair. cross_compile_override
// replaces the default prefix (the Debian triplet when target != host).
// With ccache, CC becomes "ccache <compiler>".
ToolchainSetup toolchain_setup(const ArchInfo& arch, const ToolchainSpec& toolchain,
                               const std::string& host, bool ccache,
                               const std::optional<std::string>& cross_compile_override = {});

// The first program of setup.required_programs not found in PATH, if any.
std::optional<std::string> missing_program(const ToolchainSetup& setup,
                                           CommandRunner& runner = subprocess_runner());

// The compiler's version, as KernelCI records it.
struct CompilerVersion {
  std::string full;     // first line of `cc --version`: "gcc (Debian 12.2.0-14) 12.2.0"
  std::string version;  // "12.2.0" / "14.0.6"
  std::string kcidb;    // the KCIDB build `compiler`: "gcc (Debian 12.2.0-14) 12.2.0"
};

// Parses the first line of `<compiler> --version`; the version is the
// first dotted number in it ("Debian clang version 14.0.6" -> "14.0.6").
CompilerVersion parse_compiler_version(const std::string& version_output);

// Runs `<compiler> --version`. Throws kci::Error if it cannot.
CompilerVersion query_compiler_version(const std::string& compiler,
                                       CommandRunner& runner = subprocess_runner());

}  // namespace kci::pipeline
