// SPDX-License-Identifier: LGPL-2.1-or-later
// What the real step runner decides without building: which changed files
// force a new build (a new .config: pipeline/build/config_stamp_test.cpp). (Its builds and boots
// run in tests/bisect/run-bisect.sh, on real kernels.)
#include "bisect/kernel_step_runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

namespace kci::bisect {
namespace {

namespace fs = std::filesystem;

// kbuild's .*.cmd files name what each object read, with absolute source
// paths in an O= build.
TEST(KernelStepRunner, BuildInputsComeFromKbuildCmdFiles) {
  fs::path root = fs::temp_directory_path() / ("kci-step-inputs-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "build/init");
  fs::create_directories(root / "build/kernel");
  std::string src = (root / "src").string();
  std::ofstream(root / "build/init/.main.o.cmd")
      << "cmd_init/main.o := gcc -Wp,-MMD,init/.main.o.d -include " << src
      << "/include/linux/kconfig.h -c -o init/main.o " << src << "/init/main.c\n\n"
      << "source_init/main.o := " << src << "/init/main.c\n\n"
      << "deps_init/main.o := \\\n    $(wildcard include/config/SMP) \\\n  " << src
      << "/include/linux/init.h \\\n  include/generated/autoconf.h \\\n\n"
      << "init/main.o: $(deps_init/main.o)\n";
  std::ofstream(root / "build/kernel/.fork.o.cmd")
      << "source_kernel/fork.o := " << src << "/kernel/fork.c\n";
  // Not a .cmd file: ignored.
  std::ofstream(root / "build/kernel/fork.o.d") << src << "/kernel/ignored.h\n";
  auto inputs = build_inputs((root / "build").string(), src + "/");
  EXPECT_EQ(inputs, (std::set<std::string>{"include/linux/kconfig.h", "init/main.c",
                                           "include/linux/init.h", "kernel/fork.c"}));

  // With a cache: the same answer, then what a rebuild changed. A .cmd
  // file rewritten (new time, new size) is read again; a removed one no
  // longer counts; an untouched one is not read again (emptied behind the
  // cache's back with its time and size kept, it still counts).
  BuildInputsCache cache;
  EXPECT_EQ(build_inputs((root / "build").string(), src, &cache), inputs);
  auto fork_cmd = root / "build/kernel/.fork.o.cmd";
  auto fork_time = fs::last_write_time(fork_cmd);
  auto fork_size = fs::file_size(fork_cmd);
  std::ofstream(fork_cmd) << std::string(fork_size, ' ');
  fs::last_write_time(fork_cmd, fork_time);
  std::ofstream(root / "build/init/.main.o.cmd")
      << "source_init/main.o := " << src << "/init/main.c " << src << "/init/new.h\n";
  fs::last_write_time(root / "build/init/.main.o.cmd", fork_time + std::chrono::seconds(5));
  EXPECT_EQ(build_inputs((root / "build").string(), src, &cache),
            (std::set<std::string>{"init/main.c", "init/new.h", "kernel/fork.c"}));
  fs::remove(root / "build/init/.main.o.cmd");
  EXPECT_EQ(build_inputs((root / "build").string(), src, &cache),
            (std::set<std::string>{"kernel/fork.c"}));
  fs::remove_all(root);
}

TEST(KernelStepRunner, WhatAffectsABuild) {
  std::set<std::string> inputs = {"init/main.c", "include/linux/init.h"};
  EXPECT_TRUE(affects_build("init/main.c", inputs, "x86"));
  EXPECT_TRUE(affects_build("include/linux/init.h", inputs, "x86"));
  // The build system and what rules build without a .cmd of their own.
  EXPECT_TRUE(affects_build("drivers/Makefile", inputs, "x86"));
  EXPECT_TRUE(affects_build("init/Kconfig", inputs, "x86"));
  EXPECT_TRUE(affects_build("kernel/Kbuild", inputs, "x86"));
  EXPECT_TRUE(affects_build("scripts/link-vmlinux.sh", inputs, "x86"));
  EXPECT_TRUE(affects_build("tools/objtool/check.c", inputs, "x86"));
  EXPECT_TRUE(affects_build("usr/gen_init_cpio.c", inputs, "x86"));
  EXPECT_TRUE(affects_build("arch/x86/entry/syscalls/syscall_64.tbl", inputs, "x86"));
  // Files the build never read.
  EXPECT_FALSE(affects_build("Documentation/kci/note.txt", inputs, "x86"));
  EXPECT_FALSE(affects_build("arch/arm64/kernel/setup.c", inputs, "x86"));
  EXPECT_FALSE(affects_build("drivers/gpu/drm/drm_drv.c", inputs, "x86"));
  EXPECT_TRUE(affects_build("arch/arm64/kernel/setup.c", inputs, "arm64"));
}

}  // namespace
}  // namespace kci::bisect
