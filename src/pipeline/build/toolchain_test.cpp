// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/build/toolchain.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace kci::pipeline {
namespace {

bool has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

TEST(Toolchain, ArchAliases) {
  EXPECT_EQ(arch_info("aarch64").arch, "arm64");
  EXPECT_EQ(arch_info("riscv64").arch, "riscv");
  EXPECT_EQ(arch_info("amd64").arch, "x86_64");
  EXPECT_EQ(arch_info("x86_64").image_path, "arch/x86/boot/bzImage");
  EXPECT_EQ(arch_info("arm64").image_target, "Image");
  EXPECT_EQ(arch_info("arm").image_target, "zImage");
  EXPECT_EQ(arch_info("riscv").image_path, "arch/riscv/boot/Image");
  EXPECT_THROW(arch_info("vax"), UsageError);
}

TEST(Toolchain, ParsesNames) {
  EXPECT_EQ(parse_toolchain("gcc").family, CompilerFamily::kGcc);
  EXPECT_FALSE(parse_toolchain("gcc").version);
  EXPECT_EQ(*parse_toolchain("gcc-12").version, 12);
  EXPECT_EQ(parse_toolchain("clang-14").family, CompilerFamily::kClang);
  EXPECT_EQ(*parse_toolchain("clang-14").version, 14);
  for (const char* bad : {"", "icc", "gcc-", "gcc-x", "clang-0", "gcc-12a", "gcc12"}) {
    EXPECT_THROW(parse_toolchain(bad), UsageError) << bad;
  }
}

TEST(Toolchain, NativeGcc) {
  auto s = toolchain_setup(arch_info("x86_64"), parse_toolchain("gcc"), "x86_64", false);
  EXPECT_EQ(s.compiler, "gcc");
  EXPECT_EQ(s.cross_compile, "");
  EXPECT_EQ(s.make_variables, (std::vector<std::string>{"ARCH=x86_64"}));
  EXPECT_TRUE(has(s.required_programs, "make"));
  EXPECT_TRUE(has(s.required_programs, "gcc"));
}

TEST(Toolchain, I386OnX86_64IsNative) {
  auto s = toolchain_setup(arch_info("i386"), parse_toolchain("gcc"), "x86_64", false);
  EXPECT_EQ(s.cross_compile, "");
}

TEST(Toolchain, CrossGccForArm64AndRiscv) {
  auto arm = toolchain_setup(arch_info("arm64"), parse_toolchain("gcc"), "x86_64", false);
  EXPECT_EQ(arm.compiler, "aarch64-linux-gnu-gcc");
  EXPECT_EQ(arm.make_variables,
            (std::vector<std::string>{"ARCH=arm64", "CROSS_COMPILE=aarch64-linux-gnu-"}));
  EXPECT_TRUE(has(arm.required_programs, "aarch64-linux-gnu-ld"));
  auto riscv = toolchain_setup(arch_info("riscv64"), parse_toolchain("gcc"), "x86_64", false);
  EXPECT_EQ(riscv.cross_compile, "riscv64-linux-gnu-");
  EXPECT_TRUE(has(riscv.make_variables, "ARCH=riscv"));
}

TEST(Toolchain, VersionedGccSetsCc) {
  auto s = toolchain_setup(arch_info("arm64"), parse_toolchain("gcc-12"), "x86_64", false);
  EXPECT_EQ(s.compiler, "aarch64-linux-gnu-gcc-12");
  EXPECT_TRUE(has(s.make_variables, "CC=aarch64-linux-gnu-gcc-12"));
}

TEST(Toolchain, ClangUsesLlvmWithoutCrossPrefix) {
  auto s = toolchain_setup(arch_info("arm64"), parse_toolchain("clang"), "x86_64", false);
  EXPECT_EQ(s.compiler, "clang");
  EXPECT_EQ(s.cross_compile, "");
  EXPECT_EQ(s.make_variables, (std::vector<std::string>{"ARCH=arm64", "LLVM=1"}));
  EXPECT_TRUE(has(s.required_programs, "ld.lld"));
  auto v = toolchain_setup(arch_info("x86_64"), parse_toolchain("clang-14"), "x86_64", false);
  EXPECT_EQ(v.compiler, "clang-14");
  EXPECT_TRUE(has(v.make_variables, "LLVM=-14"));
  EXPECT_TRUE(has(v.required_programs, "ld.lld-14"));
}

TEST(Toolchain, CcacheWrapsTheCompiler) {
  auto gcc = toolchain_setup(arch_info("arm64"), parse_toolchain("gcc"), "x86_64", true);
  EXPECT_TRUE(has(gcc.make_variables, "CC=ccache aarch64-linux-gnu-gcc"));
  EXPECT_TRUE(has(gcc.required_programs, "ccache"));
  auto clang = toolchain_setup(arch_info("x86_64"), parse_toolchain("clang"), "x86_64", true);
  EXPECT_TRUE(has(clang.make_variables, "CC=ccache clang"));
}

TEST(Toolchain, CrossCompileOverride) {
  auto s = toolchain_setup(arch_info("arm64"), parse_toolchain("gcc"), "x86_64", false,
                           std::string("aarch64-none-elf-"));
  EXPECT_EQ(s.compiler, "aarch64-none-elf-gcc");
  EXPECT_TRUE(has(s.make_variables, "CROSS_COMPILE=aarch64-none-elf-"));
}

TEST(Toolchain, MissingProgramIsFound) {
  auto s = toolchain_setup(arch_info("x86_64"), parse_toolchain("gcc-99"), "x86_64", false);
  ASSERT_TRUE(missing_program(s));
  EXPECT_EQ(*missing_program(s), "gcc-99");
}

TEST(Toolchain, ParsesCompilerVersions) {
  auto gcc = parse_compiler_version(
      "gcc (Debian 12.2.0-14) 12.2.0\nCopyright (C) 2022 Free Software Foundation, Inc.\n");
  EXPECT_EQ(gcc.full, "gcc (Debian 12.2.0-14) 12.2.0");
  EXPECT_EQ(gcc.version, "12.2.0");
  auto cross = parse_compiler_version("aarch64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0\n");
  EXPECT_EQ(cross.version, "12.2.0");
  auto clang = parse_compiler_version(
      "Debian clang version 14.0.6\nTarget: x86_64-pc-linux-gnu\nThread model: posix\n");
  EXPECT_EQ(clang.full, "Debian clang version 14.0.6");
  EXPECT_EQ(clang.version, "14.0.6");
}

}  // namespace
}  // namespace kci::pipeline
