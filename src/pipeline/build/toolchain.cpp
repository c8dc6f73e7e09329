// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/build/toolchain.h"

#include <sys/utsname.h>

#include <cctype>
#include <charconv>
#include <cstring>

#include "util/subprocess.h"

namespace kci::pipeline {

namespace {

// Image targets are those KernelCI's kci_build hard-codes (and tuxmake's
// defaults for the uncompressed variants).
const std::vector<ArchInfo>& arch_table() {
  static const std::vector<ArchInfo> table = {
      {"x86_64", "x86", "bzImage", "arch/x86/boot/bzImage", "x86_64-linux-gnu", "x86_64-linux-gnu"},
      {"i386", "x86", "bzImage", "arch/x86/boot/bzImage", "i686-linux-gnu", "i386-linux-gnu"},
      {"arm64", "arm64", "Image", "arch/arm64/boot/Image", "aarch64-linux-gnu",
       "aarch64-linux-gnu"},
      {"arm", "arm", "zImage", "arch/arm/boot/zImage", "arm-linux-gnueabihf", "arm-linux-gnueabi"},
      {"riscv", "riscv", "Image", "arch/riscv/boot/Image", "riscv64-linux-gnu",
       "riscv64-linux-gnu"},
      {"powerpc", "powerpc", "zImage", "arch/powerpc/boot/zImage", "powerpc64le-linux-gnu",
       "powerpc64le-linux-gnu"},
      {"s390", "s390", "bzImage", "arch/s390/boot/bzImage", "s390x-linux-gnu", "s390x-linux-gnu"},
  };
  return table;
}

const std::map<std::string, std::string>& arch_aliases() {
  static const std::map<std::string, std::string> aliases = {
      {"aarch64", "arm64"}, {"riscv64", "riscv"}, {"amd64", "x86_64"},    {"x86", "x86_64"},
      {"i686", "i386"},     {"armhf", "arm"},     {"ppc64le", "powerpc"}, {"s390x", "s390"},
  };
  return aliases;
}

std::string with_version(const std::string& program, const std::optional<int>& version) {
  return version ? program + "-" + std::to_string(*version) : program;
}

}  // namespace

std::vector<std::string> known_arches() {
  std::vector<std::string> names;
  for (const auto& a : arch_table()) names.push_back(a.arch);
  return names;
}

ArchInfo arch_info(const std::string& name) {
  std::string canonical = name;
  if (auto it = arch_aliases().find(name); it != arch_aliases().end()) canonical = it->second;
  for (const auto& a : arch_table()) {
    if (a.arch == canonical) return a;
  }
  std::string known;
  for (const auto& a : arch_table()) known += (known.empty() ? "" : ", ") + a.arch;
  throw UsageError("unknown architecture '" + name + "' (known: " + known + ")");
}

std::string host_arch() {
  struct utsname u {};
  if (uname(&u) != 0) return "x86_64";
  std::string machine = u.machine;
  if (auto it = arch_aliases().find(machine); it != arch_aliases().end()) return it->second;
  return machine;
}

ToolchainSpec parse_toolchain(const std::string& text) {
  ToolchainSpec spec;
  spec.name = text;
  std::string family = text;
  auto dash = text.find('-');
  if (dash != std::string::npos) {
    family = text.substr(0, dash);
    std::string number = text.substr(dash + 1);
    int version = 0;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), version);
    if (number.empty() || ec != std::errc{} || end != number.data() + number.size() ||
        version <= 0) {
      throw UsageError("bad toolchain '" + text + "': expected gcc, gcc-N, clang or clang-N");
    }
    spec.version = version;
  }
  if (family == "gcc") {
    spec.family = CompilerFamily::kGcc;
  } else if (family == "clang" || family == "llvm") {
    spec.family = CompilerFamily::kClang;
  } else {
    throw UsageError("bad toolchain '" + text + "': expected gcc, gcc-N, clang or clang-N");
  }
  return spec;
}

ToolchainSetup toolchain_setup(const ArchInfo& arch, const ToolchainSpec& toolchain,
                               const std::string& host, bool ccache,
                               const std::optional<std::string>& cross_compile_override) {
  ToolchainSetup setup;
  // i386 on an x86_64 host (and the reverse) is a native build: gcc -m32.
  bool cross = arch_info(host).srcarch != arch.srcarch;
  if (cross_compile_override) {
    setup.cross_compile = *cross_compile_override;
  } else if (cross && toolchain.family == CompilerFamily::kGcc) {
    // clang cross-compiles by itself (--target from ARCH, LLVM=1 binutils);
    // gcc needs the cross toolchain's prefix.
    setup.cross_compile = arch.gnu_triplet + "-";
  }
  setup.make_variables.push_back("ARCH=" + arch.arch);
  if (!setup.cross_compile.empty()) {
    setup.make_variables.push_back("CROSS_COMPILE=" + setup.cross_compile);
  }
  if (toolchain.family == CompilerFamily::kClang) {
    // LLVM=-14 selects clang-14, ld.lld-14, llvm-ar-14, ... (kernel >= 5.18).
    setup.make_variables.push_back(toolchain.version ? "LLVM=-" + std::to_string(*toolchain.version)
                                                     : std::string("LLVM=1"));
    setup.compiler = with_version("clang", toolchain.version);
    for (const char* tool : {"clang", "ld.lld", "llvm-ar", "llvm-nm", "llvm-objcopy"}) {
      setup.required_programs.push_back(with_version(tool, toolchain.version));
    }
  } else {
    setup.compiler = with_version(setup.cross_compile + "gcc", toolchain.version);
    setup.required_programs.push_back(setup.compiler);
    setup.required_programs.push_back(setup.cross_compile + "ld");
    setup.required_programs.push_back(setup.cross_compile + "objcopy");
  }
  // The kernel defaults CC to $(CROSS_COMPILE)gcc or clang; only override it
  // when that default is not what was asked for.
  bool default_cc = toolchain.family == CompilerFamily::kClang || !toolchain.version;
  if (ccache) {
    setup.make_variables.push_back("CC=ccache " + setup.compiler);
    setup.required_programs.push_back("ccache");
  } else if (!default_cc) {
    setup.make_variables.push_back("CC=" + setup.compiler);
  }
  setup.required_programs.insert(setup.required_programs.begin(), "make");
  return setup;
}

std::optional<std::string> missing_program(const ToolchainSetup& setup, CommandRunner& runner) {
  for (const auto& program : setup.required_programs) {
    if (!runner.exists(program)) return program;
  }
  return std::nullopt;
}

CompilerVersion parse_compiler_version(const std::string& version_output) {
  CompilerVersion v;
  v.full = version_output.substr(0, version_output.find('\n'));
  while (!v.full.empty() && std::isspace(static_cast<unsigned char>(v.full.back()))) {
    v.full.pop_back();
  }
  // The first token that looks like N.N[.N...] is the version.
  const std::string& s = v.full;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool starts_token = i == 0 || s[i - 1] == ' ';
    if (!starts_token || !std::isdigit(static_cast<unsigned char>(s[i]))) continue;
    std::size_t end = i;
    bool dotted = false;
    while (end < s.size() && (std::isdigit(static_cast<unsigned char>(s[end])) || s[end] == '.')) {
      dotted = dotted || s[end] == '.';
      ++end;
    }
    // "gcc (Debian 12.2.0-14) 12.2.0": the package version in parentheses
    // ends with "-14)", so it is not a whole token and the bare one wins.
    bool ends_token = end == s.size() || s[end] == ' ';
    if (dotted && ends_token) {
      v.version = s.substr(i, end - i);
      break;
    }
  }
  v.kcidb = v.full;
  return v;
}

CompilerVersion query_compiler_version(const std::string& compiler, CommandRunner& runner) {
  RunOptions options;
  options.timeout = std::chrono::seconds(30);
  RunResult r = runner.run({compiler, "--version"}, options);
  if (!r.ok() || r.out.empty()) throw Error("cannot run '" + compiler + " --version'");
  return parse_compiler_version(r.out);
}

}  // namespace kci::pipeline
