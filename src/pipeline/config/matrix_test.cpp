// SPDX-License-Identifier: LGPL-2.1-or-later
// Build matrix expansion. The expected lists below are worked out by hand
// from KernelCI's documented rules (kernelci-core doc/config/filters.md and
// kernelci/build.py list_kernel_configs), not by running the code:
//   defconfigs(arch) = {base_defconfig}
//                    + {fragment's own target, or base_defconfig+fragment
//                       for each fragment of the variant and of the arch}
//                    + extra_configs
//                    + arch/<arch>/configs/*defconfig of the kernel tree
//   kept if every filter of the arch accepts {defconfig, kernel, tree, ...}.
#include "pipeline/config/matrix.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "util/test_support.h"

namespace kci::pipeline {
namespace {

namespace fs = std::filesystem;

const std::string kSharedConfigs = KCI_SOURCE_DIR "/../shared/kernelci-configs";
const std::string kLegacyFile = kSharedConfigs + "/legacy-kernelci-core/build-configs.yaml";

#define SKIP_WITHOUT_SHARED()                                                                \
  if (!fs::exists(kLegacyFile)) {                                                            \
    KCI_MISSING_REAL_PART("KernelCI's real configuration files are not at "                  \
                          << kSharedConfigs << " (the shared/ folder beside the checkout)"); \
  }

// "variant arch defconfig" per entry, in the (sorted) order kci prints.
std::vector<std::string> lines(const std::vector<MatrixEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.variant + " " + e.arch + " " + e.defconfig);
  return out;
}

// The builds of build_configs variants only, without those of kbuild jobs
// (jobs_test.cpp).
std::vector<MatrixEntry> variant_builds(const std::vector<MatrixEntry>& entries) {
  std::vector<MatrixEntry> out;
  for (const auto& e : entries) {
    if (e.job.empty()) out.push_back(e);
  }
  return out;
}

PipelineConfig legacy() { return PipelineConfig::load({kLegacyFile}); }

// A stand-in kernel source tree holding only what the matrix looks at.
class FakeKernel {
 public:
  FakeKernel() {
    char tmpl[] = "/tmp/kci-fake-kernel-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  ~FakeKernel() { fs::remove_all(dir_); }
  void add(const std::string& path) {
    fs::create_directories((fs::path(dir_) / path).parent_path());
    std::ofstream(fs::path(dir_) / path) << "\n";
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

TEST(LegacyMatrix, MainlineGcc10ByHand) {
  SKIP_WITHOUT_SHARED();
  MatrixOptions options;
  options.build_config = "mainline";
  options.variant = "gcc-10";
  // mainline's gcc-10 variant is "<<: *default_gcc-10" (fragments debug,
  // kselftest, tinyconfig) with "architectures: {<<: *default_architectures,
  // arm64: {<<: *arm64_arch, ...}}": the 8 default archs, arm64 replaced.
  // Variant fragments: debug and kselftest are appended to each base
  // defconfig; tinyconfig has "defconfig: tinyconfig" so it is built as the
  // tinyconfig target itself. No kernel tree, so no arch/*/configs files.
  std::vector<std::string> expected = {
      // arc: base haps_hs_smp_defconfig, extra allnoconfig; its blocklist
      // (axs101_defconfig, ...; kernel v3./v4.4/v4.9) rejects none of them.
      "gcc-10 arc allnoconfig",
      "gcc-10 arc haps_hs_smp_defconfig",
      "gcc-10 arc haps_hs_smp_defconfig+debug",
      "gcc-10 arc haps_hs_smp_defconfig+kselftest",
      "gcc-10 arc tinyconfig",
      // arm: base multi_v7_defconfig, 5 extra_configs (allmodconfig is
      // commented out), no filters.
      "gcc-10 arm allnoconfig",
      "gcc-10 arm multi_v7_defconfig",
      "gcc-10 arm multi_v7_defconfig+CONFIG_CPU_BIG_ENDIAN=y",
      "gcc-10 arm multi_v7_defconfig+CONFIG_EFI=y+CONFIG_ARM_LPAE=y",
      "gcc-10 arm multi_v7_defconfig+CONFIG_SMP=n",
      "gcc-10 arm multi_v7_defconfig+CONFIG_THUMB2_KERNEL=y",
      "gcc-10 arm multi_v7_defconfig+debug",
      "gcc-10 arm multi_v7_defconfig+kselftest",
      "gcc-10 arm tinyconfig",
      // arm64 (mainline's own): base defconfig (the default, *arm64_arch
      // sets none), arch fragments arm64-chromebook and videodec, 4 extras.
      "gcc-10 arm64 allnoconfig",
      "gcc-10 arm64 defconfig",
      "gcc-10 arm64 defconfig+CONFIG_CPU_BIG_ENDIAN=y",
      "gcc-10 arm64 defconfig+arm64-chromebook",
      "gcc-10 arm64 defconfig+arm64-chromebook+kselftest",
      "gcc-10 arm64 defconfig+arm64-chromebook+videodec",
      "gcc-10 arm64 defconfig+debug",
      "gcc-10 arm64 defconfig+kselftest",
      "gcc-10 arm64 defconfig+videodec",
      "gcc-10 arm64 tinyconfig",
      // i386: base i386_defconfig, extra allnoconfig.
      "gcc-10 i386 allnoconfig",
      "gcc-10 i386 i386_defconfig",
      "gcc-10 i386 i386_defconfig+debug",
      "gcc-10 i386 i386_defconfig+kselftest",
      "gcc-10 i386 tinyconfig",
      // mips: base 32r2el_defconfig; blocklist generic_defconfig is not a
      // substring of any candidate.
      "gcc-10 mips 32r2el_defconfig",
      "gcc-10 mips 32r2el_defconfig+debug",
      "gcc-10 mips 32r2el_defconfig+kselftest",
      "gcc-10 mips allnoconfig",
      "gcc-10 mips tinyconfig",
      // riscv: base defconfig; the kernel blocklist has no kernel to test.
      "gcc-10 riscv allnoconfig",
      "gcc-10 riscv defconfig",
      "gcc-10 riscv defconfig+debug",
      "gcc-10 riscv defconfig+kselftest",
      "gcc-10 riscv tinyconfig",
      // sparc: base sparc64_defconfig.
      "gcc-10 sparc allnoconfig",
      "gcc-10 sparc sparc64_defconfig",
      "gcc-10 sparc sparc64_defconfig+debug",
      "gcc-10 sparc sparc64_defconfig+kselftest",
      "gcc-10 sparc tinyconfig",
      // x86_64: base x86_64_defconfig, arch fragment x86-board, 2 extras.
      "gcc-10 x86_64 allnoconfig",
      "gcc-10 x86_64 tinyconfig",
      "gcc-10 x86_64 x86_64_defconfig",
      "gcc-10 x86_64 x86_64_defconfig+debug",
      "gcc-10 x86_64 x86_64_defconfig+kselftest",
      "gcc-10 x86_64 x86_64_defconfig+x86-board",
      "gcc-10 x86_64 x86_64_defconfig+x86-board+kselftest",
  };
  std::vector<MatrixEntry> entries = expand_matrix(legacy(), options);
  EXPECT_EQ(lines(entries), expected);
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries[0].tree, "mainline");
  EXPECT_EQ(entries[0].branch, "master");
  EXPECT_EQ(entries[0].build_environment, "gcc-10");
  EXPECT_EQ(entries[0].cc, "gcc");
  EXPECT_EQ(entries[0].cc_version, "10");
  EXPECT_EQ(entries[0].tree_url,
            "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git");
}

TEST(LegacyMatrix, MainlineClang11RegexFilterWithKernelTree) {
  SKIP_WITHOUT_SHARED();
  FakeKernel kernel;
  kernel.add("arch/arm/configs/multi_v7_defconfig");
  kernel.add("arch/arm/configs/aspeed_g5_defconfig");
  kernel.add("arch/arm/configs/vexpress_defconfig");
  kernel.add("arch/arm/configs/imx_v6_v7_defconfig");
  kernel.add("arch/arm64/configs/defconfig");
  kernel.add("arch/arm64/configs/virt.config");  // not a *defconfig
  kernel.add("arch/x86/configs/x86_64_defconfig");
  MatrixOptions options;
  options.build_config = "mainline";
  options.variant = "clang-11";
  options.kernel_dir = kernel.dir();
  // clang-11 has no variant fragments.
  std::vector<std::string> expected = {
      // arm64: base defconfig, extras allnoconfig and 64K pages; the tree's
      // arch/arm64/configs adds defconfig again; no filters.
      "clang-11 arm allnoconfig",
      // arm: candidates multi_v7_defconfig (base), aspeed_g5_defconfig,
      // multi_v5_defconfig, allnoconfig (extras) and the tree's four
      // defconfigs; the regex (?:aspeed_g5_def|multi_v5_def|multi_v7_def|
      // allno)config rejects vexpress_defconfig and imx_v6_v7_defconfig.
      "clang-11 arm aspeed_g5_defconfig",
      "clang-11 arm multi_v5_defconfig",
      "clang-11 arm multi_v7_defconfig",
      "clang-11 arm64 allnoconfig",
      "clang-11 arm64 defconfig",
      "clang-11 arm64 defconfig+CONFIG_ARM64_64K_PAGES=y",
      // i386: base and allnoconfig (there is no arch/i386 in the tree).
      "clang-11 i386 allnoconfig",
      "clang-11 i386 i386_defconfig",
      // x86_64: base and allnoconfig; KernelCI looks in arch/x86_64/configs,
      // which kernels do not have, so arch/x86's files are not added.
      "clang-11 x86_64 allnoconfig",
      "clang-11 x86_64 x86_64_defconfig",
  };
  // Sorted order puts "arm " before "arm64 ": fix the comment order above.
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(lines(expand_matrix(legacy(), options)), expected);
}

TEST(LegacyMatrix, MinimalVariantsRegexAndKernelBlocklist) {
  SKIP_WITHOUT_SHARED();
  FakeKernel kernel;
  kernel.add("arch/arm/configs/multi_v7_defconfig");
  kernel.add("arch/arm/configs/vexpress_defconfig");
  kernel.add("arch/riscv/configs/defconfig");
  kernel.add("arch/riscv/configs/rv32_defconfig");
  MatrixOptions options;
  options.build_config = "agross";  // variants: *minimal_variants
  options.kernel_dir = kernel.dir();
  // minimal_variants = gcc-10 with architectures *arch_defconfigs: each arch
  // has only its base_defconfig and a regex filter naming it, which
  // re.match()es from the start: "multi_v7_defconfig" rejects
  // vexpress_defconfig; riscv's "defconfig" rejects rv32_defconfig.
  std::vector<std::string> without_version = {
      "gcc-10 arc haps_hs_smp_defconfig", "gcc-10 arm multi_v7_defconfig",
      "gcc-10 arm64 defconfig",           "gcc-10 i386 i386_defconfig",
      "gcc-10 mips 32r2el_defconfig",     "gcc-10 riscv defconfig",
      "gcc-10 sparc sparc64_defconfig",   "gcc-10 x86_64 x86_64_defconfig",
  };
  EXPECT_EQ(lines(expand_matrix(legacy(), options)), without_version);
  // riscv also has "blocklist: {kernel: [v3., v4.4, v4.9, v4.14]}":
  // v4.14.200 contains "v4.14", so riscv is not built on it; v5.10 builds.
  options.kernel_version = "v4.14.200";
  std::vector<std::string> on_4_14 = without_version;
  on_4_14.erase(std::find(on_4_14.begin(), on_4_14.end(), "gcc-10 riscv defconfig"));
  EXPECT_EQ(lines(expand_matrix(legacy(), options)), on_4_14);
  options.kernel_version = "v5.10.1";
  EXPECT_EQ(lines(expand_matrix(legacy(), options)), without_version);
}

TEST(LegacyMatrix, WholeFileExpandsAndSelectsByTreeAndBranch) {
  SKIP_WITHOUT_SHARED();
  PipelineConfig config = legacy();
  EXPECT_EQ(config.build_configs().size(), 73u);  // as the README counts
  EXPECT_EQ(config.trees().size(), 47u);
  EXPECT_EQ(config.fragments().size(), 15u);
  EXPECT_EQ(config.build_environments().size(), 9u);
  // clang-13 takes clang-12's arch_params, which merge clang-11's and add
  // riscv with LLVM_IAS.
  const BuildEnvironment& clang13 = config.build_environments().at("clang-13");
  EXPECT_EQ(clang13.arch_params.at("arm64").cross_compile, "aarch64-linux-gnu-");
  EXPECT_EQ(clang13.arch_params.at("riscv").opts.at("LLVM_IAS"), "1");
  EXPECT_EQ(clang13.arch_params.at("riscv").cross_compile, "riscv64-linux-gnu-");
  MatrixOptions options;
  options.tree = "mainline";
  options.branch = "master";
  std::set<std::string> configs;
  for (const auto& e : expand_matrix(config, options)) configs.insert(e.build_config);
  EXPECT_EQ(configs, (std::set<std::string>{"mainline"}));
  EXPECT_GT(expand_matrix(config, {}).size(), 500u);
}

TEST(PipelineMatrix, SplitPipelineDirectoryUsesBuildVariants) {
  SKIP_WITHOUT_SHARED();
  // The current split kernelci-pipeline config: trees.yaml holds trees and
  // build_variants (gcc-14: x86_64 x86_64_defconfig, arm64 defconfig, arm
  // multi_v7_defconfig, each with a regex naming its base); trees/*.yaml
  // hold build configs with only tree, branch and an architecture list.
  PipelineConfig config = PipelineConfig::load({kSharedConfigs + "/pipeline-split-head"});
  MatrixOptions options;
  options.build_config = "cip-4.4-rt";
  // cip-4.4-rt is "<<: *cip-4-4" (itself "<<: *cip" with architectures
  // [arm, x86_64]) with its own branch: arm64 is not in its list. No
  // kbuild job allows the cip tree.
  std::vector<MatrixEntry> entries = expand_matrix(config, options);
  EXPECT_EQ(lines(entries), (std::vector<std::string>{"gcc-14 arm multi_v7_defconfig",
                                                      "gcc-14 x86_64 x86_64_defconfig"}));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].tree, "cip");
  EXPECT_EQ(entries[0].branch, "linux-4.4.y-cip-rt");
  options.build_config = "mainline";
  EXPECT_EQ(lines(variant_builds(expand_matrix(config, options))),
            (std::vector<std::string>{"gcc-14 arm multi_v7_defconfig", "gcc-14 arm64 defconfig",
                                      "gcc-14 x86_64 x86_64_defconfig"}));
  ASSERT_NE(config.fragment("arm64-chromebook"), nullptr);
}

TEST(PipelineMatrix, UnifiedPipelineFile) {
  SKIP_WITHOUT_SHARED();
  PipelineConfig config =
      PipelineConfig::load({kSharedConfigs + "/pipeline-unified-2025-02/pipeline.yaml"});
  MatrixOptions options;
  options.build_config = "mainline";
  EXPECT_EQ(lines(variant_builds(expand_matrix(config, options))),
            (std::vector<std::string>{"gcc-12 arm multi_v7_defconfig", "gcc-12 arm64 defconfig",
                                      "gcc-12 x86_64 x86_64_defconfig"}));
}

TEST(KciMatrix, ShippedConfigBuildsTinyconfigWithBootFragments) {
  PipelineConfig config = PipelineConfig::load({KCI_SOURCE_DIR "/config/kci.yaml"});
  // Each arch: candidates tinyconfig (base) and tinyconfig+<arch>-boot; the
  // regex "tinyconfig\+" keeps only the second.
  EXPECT_EQ(lines(expand_matrix(config, {})),
            (std::vector<std::string>{
                "clang-14 arm64 tinyconfig+arm64-boot", "clang-14 riscv tinyconfig+riscv64-boot",
                "clang-14 x86_64 tinyconfig+x86_64-boot", "gcc-12 arm64 tinyconfig+arm64-boot",
                "gcc-12 riscv tinyconfig+riscv64-boot", "gcc-12 x86_64 tinyconfig+x86_64-boot"}));
}

TEST(Filters, KernelCISemantics) {
  std::map<std::string, std::string> params{{"arch", "arm"}, {"defconfig", "multi_v7_defconfig"}};
  Filter pass{Filter::Kind::kPasslist, {{"defconfig", {"v7", "v5"}}}, {}, {}};
  EXPECT_TRUE(filter_accepts(pass, params));
  Filter pass_kernel{Filter::Kind::kPasslist, {{"kernel", {"v6"}}}, {}, {}};
  EXPECT_FALSE(filter_accepts(pass_kernel, params));  // a passlist key must be present
  Filter block{Filter::Kind::kBlocklist, {{"defconfig", {"multi_v7"}}}, {}, {}};
  EXPECT_FALSE(filter_accepts(block, params));
  Filter block_kernel{Filter::Kind::kBlocklist, {{"kernel", {"v4.4"}}}, {}, {}};
  EXPECT_TRUE(filter_accepts(block_kernel, params));  // absent keys are not blocked
  Filter regex{Filter::Kind::kRegex, {{"defconfig", {"multi_"}}}, {}, {}};
  EXPECT_TRUE(filter_accepts(regex, params));
  Filter regex_mid{Filter::Kind::kRegex, {{"defconfig", {"v7"}}}, {}, {}};
  EXPECT_FALSE(filter_accepts(regex_mid, params));  // re.match anchors at the start
  Filter combo{Filter::Kind::kCombination,
               {},
               {"arch", "defconfig"},
               {{"arm", "multi_v7_defconfig"}, {"arm64", "defconfig"}}};
  EXPECT_TRUE(filter_accepts(combo, params));
  params["arch"] = "arm64";
  EXPECT_FALSE(filter_accepts(combo, params));
}

}  // namespace
}  // namespace kci::pipeline
