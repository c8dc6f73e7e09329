// SPDX-License-Identifier: LGPL-2.1-or-later
#include "triage/build_scan.h"

#include <gtest/gtest.h>

namespace kci::triage {
namespace {

TEST(BuildScan, GccAndClangWordingsShareASignature) {
  auto gcc = scan_build(
      "drivers/misc/a.c: In function 'f':\n"
      "drivers/misc/a.c:4:19: error: 'kci_next_id' undeclared (first use in this function)\n"
      "    4 |  dev->id = kci_next_id + 1;\n");
  auto clang = scan_build(
      "drivers/misc/a.c:4:12: error: use of undeclared identifier 'kci_next_id'\n"
      "        dev->id = kci_next_id + 1;\n");
  ASSERT_EQ(gcc.size(), 1u);
  ASSERT_EQ(clang.size(), 1u);
  EXPECT_EQ(gcc[0].signature, clang[0].signature);
  EXPECT_EQ(gcc[0].file, "drivers/misc/a.c");
  EXPECT_EQ(gcc[0].file_line, 4u);
  EXPECT_EQ(gcc[0].kind, "compiler_error");
  EXPECT_NE(gcc[0].excerpt.find("In function"), std::string::npos);
  EXPECT_NE(gcc[0].excerpt.find("kci_next_id + 1"), std::string::npos);
}

TEST(BuildScan, SignatureSurvivesLineMoves) {
  auto a = scan_build("x.c:10:3: warning: unused variable 'y' [-Wunused-variable]\n");
  auto b = scan_build("x.c:99:7: warning: unused variable 'y' [-Wunused-variable]\n");
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].signature, b[0].signature);
  auto other_file = scan_build("z.c:10:3: warning: unused variable 'y' [-Wunused-variable]\n");
  EXPECT_NE(a[0].signature, other_file[0].signature);
}

TEST(BuildScan, CanonicalMessages) {
  EXPECT_EQ(canonical_message("linux/foo.h: No such file or directory"),
            "missing-file:linux/foo.h");
  EXPECT_EQ(canonical_message("'linux/foo.h' file not found"), "missing-file:linux/foo.h");
  EXPECT_EQ(canonical_message("'struct s' has no member named 'b'"), "no-member:struct s:b");
  EXPECT_EQ(canonical_message("no member named 'b' in 'struct s'"), "no-member:struct s:b");
  EXPECT_EQ(canonical_message("expected ',' or ';' before 'return'"), "expected:;");
  EXPECT_EQ(canonical_message("expected ';' at end of declaration"), "expected:;");
  EXPECT_EQ(canonical_message("implicit declaration of function 'g'; did you mean 'h'? "
                              "[-Wimplicit-function-declaration]"),
            "implicit-function-declaration:g");
  EXPECT_EQ(canonical_message("call to undeclared function 'g'; ISO C99 and later do not support "
                              "implicit function declarations [-Wimplicit-function-declaration]"),
            "implicit-function-declaration:g");
  EXPECT_EQ(canonical_message(
                "no previous prototype for \xe2\x80\x98k\xe2\x80\x99 [-Wmissing-prototypes]"),
            "W:missing-prototypes:k");
  EXPECT_EQ(canonical_message("no previous prototype for function 'k' [-Wmissing-prototypes]"),
            "W:missing-prototypes:k");
  EXPECT_EQ(canonical_message("unused variable 'len' [-Werror=unused-variable]"),
            "W:unused-variable:len");
}

TEST(BuildScan, LinkersAgree) {
  auto bfd = scan_build(
      "ld: drivers/a.o: in function `f':\n"
      "a.c:(.text+0xa): undefined reference to `kci_missing'\n");
  auto lld = scan_build("ld.lld: error: undefined symbol: kci_missing\n>>> referenced by a.c\n");
  ASSERT_EQ(bfd.size(), 1u);
  ASSERT_EQ(lld.size(), 1u);
  EXPECT_EQ(bfd[0].signature, lld[0].signature);
  EXPECT_EQ(bfd[0].kind, "linker_error");
  EXPECT_EQ(bfd[0].file, "drivers/a.o");
}

TEST(BuildScan, ConsequencesAreNotReported) {
  auto f = scan_build(
      "a.c:1:1: error: unknown type name 'foo'\n"
      "cc1: all warnings being treated as errors\n"
      "make[1]: *** [scripts/Makefile.build:4: a.o] Error 1\n"
      "make: *** [Makefile:7: a.o] Error 2\n"
      "collect2: error: ld returned 1 exit status\n");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].title, "a.c: error: unknown type name 'foo'");
  // Alone, a make failure is all there is to report.
  auto m = scan_build("make: *** [Makefile:7: vmlinux] Error 2\n");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].kind, "make_error");
}

TEST(BuildScan, RepeatedProblemsOnce) {
  auto f = scan_build(
      "include/a.h:3:1: warning: 'x' defined but not used [-Wunused-variable]\n"
      "include/a.h:3:1: warning: 'x' defined but not used [-Wunused-variable]\n");
  EXPECT_EQ(f.size(), 1u);
}

TEST(BuildScan, ModpostAndKconfig) {
  auto f = scan_build(
      "ERROR: modpost: \"kci_helper\" [drivers/kci/core.ko] undefined!\n"
      "WARNING: unmet direct dependencies detected for SND_X\n"
      "drivers/kci/Kconfig:12: syntax error\n");
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].kind, "modpost_error");
  EXPECT_EQ(f[0].file, "drivers/kci/core.ko");
  EXPECT_EQ(f[1].kind, "kconfig_warning");
  EXPECT_EQ(f[2].kind, "kconfig_error");
  EXPECT_EQ(f[2].file, "drivers/kci/Kconfig");
  EXPECT_EQ(f[2].file_line, 12u);
}

}  // namespace
}  // namespace kci::triage
