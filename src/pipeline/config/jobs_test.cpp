// SPDX-License-Identifier: LGPL-2.1-or-later
// The newer pipeline's kbuild jobs: rules (kernelci-core's
// APIHelper.should_create_node), scheduler entries and the builds they give.
// Expectations are worked out by hand from the YAML written here and from
// KernelCI's real files in ../shared (skipped when they are not there).
#include "pipeline/config/jobs.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "pipeline/config/config.h"
#include "pipeline/config/matrix.h"
#include "pipeline/config/yaml_util.h"
#include "util/test_support.h"

namespace kci::pipeline {
namespace {

Rules rules_of(const std::string& yaml) {
  return parse_rules(load_yaml_string(yaml, "rules.yaml"), "rules.yaml");
}

RuleSubject checkout(const std::string& tree, const std::string& branch,
                     std::optional<KernelVersion> version = std::nullopt) {
  RuleSubject subject;
  subject.tree = tree;
  subject.branch = branch;
  subject.version = version;
  return subject;
}

bool allows(const std::string& yaml, const RuleSubject& subject) {
  return check_rules(rules_of(yaml), subject) == RuleVerdict::kAllow;
}

TEST(KernelVersion, ParsesVersionAndPatchlevel) {
  EXPECT_EQ(parse_kernel_version("6.1"), (KernelVersion{6, 1}));
  EXPECT_EQ(parse_kernel_version("v6.12.3"), (KernelVersion{6, 12}));
  EXPECT_EQ(parse_kernel_version("v4.19-rc3-12-gabcdef012345"), (KernelVersion{4, 19}));
  EXPECT_FALSE(parse_kernel_version("6"));
  EXPECT_FALSE(parse_kernel_version("next-20250101"));
  EXPECT_FALSE(parse_kernel_version(""));
}

TEST(Rules, AllowAndDenyLists) {
  // Only allowed values: the value must be one of them.
  EXPECT_TRUE(allows("tree: [mainline, next]", checkout("next", "master")));
  EXPECT_FALSE(allows("tree: [mainline, next]", checkout("stable", "linux-6.1.y")));
  // Only denied values: anything else passes.
  EXPECT_FALSE(allows("tree: ['!android', '!cip']", checkout("cip", "linux-4.4.y-cip")));
  EXPECT_TRUE(allows("tree: ['!android', '!cip']", checkout("mainline", "master")));
  // Both: not denied and allowed.
  EXPECT_FALSE(allows("tree: [mainline, '!mainline']", checkout("mainline", "master")));
  // branch works the same way, on the branch.
  EXPECT_FALSE(allows("branch: ['!master']", checkout("next", "master")));
  EXPECT_TRUE(allows("branch: ['!master']", checkout("next", "pending-fixes")));
  EXPECT_FALSE(allows("branch: [master]", checkout("next", "pending-fixes")));
  // Both keys must allow.
  EXPECT_FALSE(allows("{tree: [next], branch: [master]}", checkout("next", "pending-fixes")));
  // Empty rules, and no rules at all, allow everything.
  EXPECT_TRUE(allows("{}", checkout("any", "thing")));
  EXPECT_TRUE(allows("tree: []", checkout("any", "thing")));
}

TEST(Rules, TreeBranchCombinations) {
  // kernelci-core's own example: linus:master, or any branch of stable
  // but master.
  const char* rules = "{tree: ['linus:master', stable], branch: ['!stable:master']}";
  EXPECT_TRUE(allows(rules, checkout("linus", "master")));
  EXPECT_TRUE(allows(rules, checkout("stable", "linux-6.1.y")));
  EXPECT_FALSE(allows(rules, checkout("stable", "master")));
  EXPECT_FALSE(allows(rules, checkout("linus", "for-next")));  // linus only with master
  EXPECT_FALSE(allows(rules, checkout("next", "master")));
  // A list of only combinations rejects every other tree and branch.
  EXPECT_TRUE(allows("tree: ['next:master']", checkout("next", "master")));
  EXPECT_FALSE(allows("tree: ['next:master']", checkout("next", "pending-fixes")));
  EXPECT_FALSE(allows("tree: ['next:master']", checkout("mainline", "master")));
  // A matching allowed combination settles tree and branch: the branch
  // rules are not looked at (KernelCI breaks out of its loop).
  EXPECT_TRUE(allows("{tree: ['next:master'], branch: ['!master']}", checkout("next", "master")));
  // A denied combination in the tree list.
  EXPECT_FALSE(allows("tree: ['!next:master']", checkout("next", "master")));
  EXPECT_TRUE(allows("tree: ['!next:master']", checkout("next", "pending-fixes")));
}

TEST(Rules, VersionBoundsAreInclusive) {
  const char* rules =
      "{min_version: {version: 5, patchlevel: 10}, max_version: {version: 6, patchlevel: 6}}";
  EXPECT_FALSE(allows(rules, checkout("t", "b", KernelVersion{5, 4})));
  EXPECT_TRUE(allows(rules, checkout("t", "b", KernelVersion{5, 10})));
  EXPECT_TRUE(allows(rules, checkout("t", "b", KernelVersion{6, 1})));
  EXPECT_TRUE(allows(rules, checkout("t", "b", KernelVersion{6, 6})));
  EXPECT_FALSE(allows(rules, checkout("t", "b", KernelVersion{6, 7})));
  EXPECT_FALSE(allows(rules, checkout("t", "b", KernelVersion{7, 0})));
  // Without a version nothing is guessed; a refusal still wins.
  EXPECT_EQ(check_rules(rules_of(rules), checkout("t", "b")), RuleVerdict::kNeedsVersion);
  EXPECT_EQ(check_rules(rules_of("{tree: [x], min_version: {version: 6, patchlevel: 1}}"),
                        checkout("t", "b")),
            RuleVerdict::kDeny);
}

TEST(Rules, SingleValuesAndLists) {
  RuleSubject build = checkout("mainline", "master");
  build.values["arch"] = "arm64";
  build.values["defconfig"] = "allnoconfig";
  build.lists["fragments"] = {"kselftest", "arm64-chromebook"};
  EXPECT_TRUE(allows("arch: [arm64, arm]", build));
  EXPECT_FALSE(allows("arch: [x86_64]", build));
  EXPECT_FALSE(allows("defconfig: ['!allnoconfig']", build));
  // A list: no item denied, and one item allowed when some are.
  EXPECT_TRUE(allows("fragments: [kselftest]", build));
  EXPECT_FALSE(allows("fragments: [coverage]", build));
  EXPECT_FALSE(allows("fragments: ['!arm64-chromebook']", build));
  EXPECT_TRUE(allows("fragments: ['!coverage']", build));
  build.lists["fragments"] = {};
  EXPECT_FALSE(allows("fragments: [kselftest]", build));
  EXPECT_TRUE(allows("fragments: ['!kselftest']", build));
  // A field the subject does not have is not checked (a checkout has no
  // arch), nor are tree/branch rules without a tree.
  EXPECT_TRUE(allows("{arch: [x86_64], platform: [qemu]}", checkout("mainline", "master")));
  EXPECT_TRUE(allows("tree: [nothing]", RuleSubject{}));
}

TEST(Rules, ErrorsSayWhere) {
  try {
    rules_of("min_version: {version: 6}");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("rules.yaml:1:14: a version rule needs an integer "
                                         "'patchlevel'"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(rules_of("tree: {a: b}"), ConfigError);
  EXPECT_THROW(rules_of("[tree]"), ConfigError);
}

TEST(Scheduler, EventIsASubsetMatch) {
  SchedulerEntry entry;
  entry.event = {{"channel", "node"}, {"kind", "checkout"}, {"state", "available"}};
  EXPECT_TRUE(event_matches(entry, checkout_event()));
  entry.event["state"] = "done";
  EXPECT_FALSE(event_matches(entry, checkout_event()));
  entry.event = {{"channel", "node"}, {"kind", "kbuild"}, {"state", "available"}};
  EXPECT_FALSE(event_matches(entry, checkout_event()));
  entry.event = {{"channel", "retry"}, {"kind", "checkout"}};
  EXPECT_FALSE(event_matches(entry, checkout_event()));
}

// Trees, build configs, runtimes, jobs and scheduler entries, by hand.
const char* kPipeline = R"(
trees:
  mainline: {url: 'https://git.example.org/mainline.git'}
  next: {url: 'https://git.example.org/next.git'}
  stable: {url: 'https://git.example.org/stable.git'}
  android: {url: 'https://git.example.org/android.git'}
fragments:
  kselftest: {configs: ['CONFIG_KUNIT=y']}
build_environments:
  gcc-14: {cc: gcc, cc_version: 14}
build_configs:
  mainline:
    tree: mainline
    branch: master
    variants:
      gcc-14:
        build_environment: gcc-14
        fragments: [kselftest]
        architectures:
          x86_64: {base_defconfig: x86_64_defconfig}
  next: {tree: next, branch: master}
  next_pending: {tree: next, branch: pending-fixes}
  stable: {tree: stable, branch: linux-6.1.y}
  android: {tree: android, branch: android-mainline, architectures: [arm64]}
runtimes:
  k8s: {lab_type: kubernetes}
  lava-next: {lab_type: lava, url: 'https://lava.example.org/', rules: {tree: [next]}}
_anchors:
  kbuild: &kbuild
    template: kbuild.jinja2
    kind: kbuild
    rules: {tree: ['!android']}
  x86: &x86
    arch: x86_64
    compiler: gcc-14
    defconfig: x86_64_defconfig
  checkout: &checkout
    event: {channel: node, kind: checkout, state: available}
    runtime: {name: k8s}
jobs:
  kbuild-x86:
    <<: *kbuild
    params: {<<: *x86, fragments: [kselftest]}
  kbuild-x86-allnoconfig:
    <<: *kbuild
    params: {<<: *x86, defconfig: [x86_64_defconfig, allnoconfig]}
    rules: {tree: [mainline, 'next:pending-fixes']}
  kbuild-x86-kasan:
    <<: *kbuild
    params: {<<: *x86, fragments: ['CONFIG_KASAN=y']}
  kbuild-x86-lava:
    <<: *kbuild
    params: {<<: *x86, fragments: [kselftest]}
  kbuild-arm64:
    <<: *kbuild
    params: {arch: arm64, compiler: clang-21, cross_compile: aarch64-linux-gnu-,
             defconfig: defconfig}
    rules: {}
  kbuild-riscv:
    <<: *kbuild
    params: {arch: riscv, compiler: gcc-14, defconfig: defconfig}
    rules: {min_version: {version: 6, patchlevel: 6}}
  kbuild-unscheduled:
    <<: *kbuild
    params: {<<: *x86, defconfig: tinyconfig}
  kbuild-after-kbuild:
    <<: *kbuild
    params: {<<: *x86, defconfig: allmodconfig}
  kbuild-no-runtime:
    <<: *kbuild
    params: {<<: *x86, defconfig: allyesconfig}
  baseline-x86: {template: baseline.jinja2, kind: job, params: {rootfs: buildroot}}
scheduler:
  - {<<: *checkout, job: kbuild-x86}
  - {<<: *checkout, job: kbuild-x86-allnoconfig}
  - <<: *checkout
    job: kbuild-x86-kasan
    rules: {branch: ['!master']}
  - {<<: *checkout, job: kbuild-x86-lava, runtime: {type: lava, name: lava-next}}
  - {<<: *checkout, job: kbuild-arm64, runtime: {type: kubernetes}}
  - {<<: *checkout, job: kbuild-riscv}
  - {<<: *checkout, job: baseline-x86}
  - job: kbuild-after-kbuild
    event: {channel: node, kind: kbuild, state: available, name: kbuild-x86}
    runtime: {name: k8s}
  - {<<: *checkout, job: kbuild-no-runtime, runtime: {name: nowhere}}
)";

PipelineConfig pipeline() {
  PipelineConfig config;
  config.add_document(load_yaml_string(kPipeline, "pipeline.yaml"), "pipeline.yaml");
  config.finish();
  return config;
}

// "build_config job arch build_environment defconfig" per build.
std::vector<std::string> builds(const Matrix& matrix) {
  std::vector<std::string> out;
  for (const auto& e : matrix.entries) {
    out.push_back(e.build_config + " " + (e.job.empty() ? "-" : e.job) + " " + e.arch + " " +
                  e.build_environment + " " + e.defconfig);
  }
  return out;
}

TEST(KbuildJobs, LoadedWithMergeKeys) {
  PipelineConfig config = pipeline();
  EXPECT_EQ(config.jobs().size(), 10u);
  EXPECT_EQ(config.scheduler().size(), 9u);
  const Job& kasan = config.jobs().at("kbuild-x86-kasan");
  EXPECT_EQ(kasan.kind, "kbuild");  // from the anchor
  EXPECT_EQ(kasan.params.arch, "x86_64");
  EXPECT_EQ(kasan.params.fragments, (std::vector<std::string>{"CONFIG_KASAN=y"}));
  ASSERT_EQ(kasan.rules.lists.size(), 1u);  // the anchor's rules
  EXPECT_EQ(kasan.rules.lists[0].second, (std::vector<std::string>{"!android"}));
  // A job's own key replaces the merged one, inside params too.
  const Job& allno = config.jobs().at("kbuild-x86-allnoconfig");
  EXPECT_EQ(allno.params.defconfig, (std::vector<std::string>{"x86_64_defconfig", "allnoconfig"}));
  EXPECT_EQ(allno.rules.lists[0].second,
            (std::vector<std::string>{"mainline", "next:pending-fixes"}));
  EXPECT_TRUE(config.jobs().at("kbuild-arm64").rules.empty());  // rules: {}
  EXPECT_EQ(config.jobs().at("kbuild-riscv").rules.min_version, (KernelVersion{6, 6}));
  EXPECT_EQ(config.jobs().at("baseline-x86").kind, "job");
  EXPECT_EQ(config.scheduler()[2].rules.lists.size(), 1u);
  EXPECT_EQ(config.scheduler()[3].runtime_name, "lava-next");
  EXPECT_EQ(config.runtimes().at("lava-next").lab_type, "lava");
}

TEST(KbuildJobs, BuildsPerCheckoutWithoutAKernelVersion) {
  Matrix matrix = expand_build_matrix(pipeline(), {});
  // mainline: its variant gives x86_64_defconfig and x86_64_defconfig+
  // kselftest; kbuild-x86 is the latter again (dropped); kbuild-x86-kasan's
  // entry refuses master; kbuild-x86-lava's runtime takes only next;
  // kbuild-x86-allnoconfig allows mainline; kbuild-arm64 has no rules.
  // next/master: kbuild-x86-allnoconfig's combination is next:pending-fixes
  // only; kbuild-x86-lava is kbuild-x86 again. next/pending-fixes: every
  // x86 job (lava dropped again). stable: not the allnoconfig nor the lava
  // one. android: only arm64 (its architectures), kbuild-arm64's own empty
  // rules replaced the anchor's '!android'. kbuild-riscv waits for a
  // version; kbuild-unscheduled has no entry, kbuild-after-kbuild follows a
  // kbuild event, kbuild-no-runtime names a runtime nobody defines,
  // baseline-x86 is no kbuild.
  EXPECT_EQ(builds(matrix),
            (std::vector<std::string>{
                "mainline - x86_64 gcc-14 x86_64_defconfig",
                "mainline - x86_64 gcc-14 x86_64_defconfig+kselftest",
                "mainline kbuild-arm64 arm64 clang-21 defconfig",
                "mainline kbuild-x86-allnoconfig x86_64 gcc-14 x86_64_defconfig+allnoconfig",
                "next kbuild-arm64 arm64 clang-21 defconfig",
                "next kbuild-x86 x86_64 gcc-14 x86_64_defconfig+kselftest",
                "next_pending kbuild-arm64 arm64 clang-21 defconfig",
                "next_pending kbuild-x86 x86_64 gcc-14 x86_64_defconfig+kselftest",
                "next_pending kbuild-x86-allnoconfig x86_64 gcc-14 x86_64_defconfig+allnoconfig",
                "next_pending kbuild-x86-kasan x86_64 gcc-14 x86_64_defconfig+CONFIG_KASAN=y",
                "stable kbuild-arm64 arm64 clang-21 defconfig",
                "stable kbuild-x86 x86_64 gcc-14 x86_64_defconfig+kselftest",
                "stable kbuild-x86-kasan x86_64 gcc-14 x86_64_defconfig+CONFIG_KASAN=y",
                "android kbuild-arm64 arm64 clang-21 defconfig",
            }));
  EXPECT_EQ(matrix.duplicates, 3u);
  using Pair = std::pair<std::string, std::string>;
  EXPECT_EQ(matrix.needs_version, (std::vector<Pair>{{"mainline", "kbuild-riscv"},
                                                     {"next", "kbuild-riscv"},
                                                     {"next_pending", "kbuild-riscv"},
                                                     {"stable", "kbuild-riscv"}}));
  const MatrixEntry& arm64 = matrix.entries[2];
  EXPECT_EQ(arm64.tree_url, "https://git.example.org/mainline.git");
  EXPECT_EQ(arm64.cc, "clang");
  EXPECT_EQ(arm64.cc_version, "21");
  EXPECT_EQ(arm64.cross_compile, "aarch64-linux-gnu-");
}

TEST(KbuildJobs, VersionRulesWithAKernelVersion) {
  MatrixOptions options;
  options.kernel_version = "v6.6-rc1-5-g0123456789ab";
  Matrix matrix = expand_build_matrix(pipeline(), options);
  EXPECT_EQ(matrix.entries.size(), 18u);  // 14 and kbuild-riscv on 4 checkouts
  EXPECT_TRUE(matrix.needs_version.empty());
  options.kernel_version = "6.1";
  matrix = expand_build_matrix(pipeline(), options);
  EXPECT_EQ(matrix.entries.size(), 14u);  // below kbuild-riscv's 6.6
  EXPECT_TRUE(matrix.needs_version.empty());
}

TEST(KbuildJobs, SelectionOptions) {
  MatrixOptions options;
  options.branch = "pending-fixes";
  options.variant = "gcc-14";
  options.arch = "x86_64";
  Matrix matrix = expand_build_matrix(pipeline(), options);
  EXPECT_EQ(builds(matrix),
            (std::vector<std::string>{
                "next_pending kbuild-x86 x86_64 gcc-14 x86_64_defconfig+kselftest",
                "next_pending kbuild-x86-allnoconfig x86_64 gcc-14 x86_64_defconfig+allnoconfig",
                "next_pending kbuild-x86-kasan x86_64 gcc-14 x86_64_defconfig+CONFIG_KASAN=y",
            }));
  options.arch = "riscv";
  EXPECT_EQ(expand_build_matrix(pipeline(), options).needs_version.size(), 1u);
}

TEST(KbuildJobs, KbuildJobNeedsItsParams) {
  PipelineConfig config;
  EXPECT_THROW(config.add_document(load_yaml_string("jobs:\n  k: {kind: kbuild, params: "
                                                    "{arch: x86_64}}\n",
                                                    "j.yaml"),
                                   "j.yaml"),
               ConfigError);
}

// KernelCI's current split configuration (kernelci-pipeline config/).
const std::string kSplit = KCI_SOURCE_DIR "/../shared/kernelci-configs/pipeline-split-head";

class RealPipeline : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kSplit + "/jobs.yaml")) {
      KCI_MISSING_REAL_PART("KernelCI's real configuration files are not at "
                            << kSplit << " (the shared/ folder beside the checkout)");
    }
  }
};

TEST_F(RealPipeline, LoadsJobsAndScheduler) {
  PipelineConfig config = PipelineConfig::load({kSplit});
  // As counted in the files: 311 jobs (148 kbuild), 387 scheduler entries,
  // 148 of them on the checkout event (145 kbuild, plus cvehound and
  // kunit-x86_64 of kind job and kbuild-gcc-14-arm64-dtbscheck, a kbuild
  // job turned "kind: job").
  EXPECT_EQ(config.jobs().size(), 311u);
  std::size_t kbuild = 0;
  for (const auto& [name, job] : config.jobs()) kbuild += job.kind == "kbuild";
  EXPECT_EQ(kbuild, 148u);
  EXPECT_EQ(config.scheduler().size(), 387u);
  std::size_t on_checkout = 0;
  for (const auto& entry : config.scheduler())
    on_checkout += event_matches(entry, checkout_event());
  EXPECT_EQ(on_checkout, 148u);
  // kbuild-gcc-14-arm64-kselftest: "rules: {<<: *kbuild-kselftest-rules,
  // tree: [...]}": its own tree list replaces the merged one.
  const Job& kselftest = config.jobs().at("kbuild-gcc-14-arm64-kselftest");
  ASSERT_EQ(kselftest.rules.lists.size(), 1u);
  EXPECT_EQ(kselftest.rules.lists[0].second,
            (std::vector<std::string>{"!chromiumos", "!cip", "!omap"}));
  EXPECT_EQ(kselftest.params.fragments,
            (std::vector<std::string>{"arm64-chromebook", "kselftest"}));
}

TEST_F(RealPipeline, MainlineMasterKbuildJobs) {
  PipelineConfig config = PipelineConfig::load({kSplit});
  MatrixOptions options;
  options.build_config = "mainline";
  // By hand from jobs.yaml, scheduler.yaml and pipeline.yaml (k8s-all has
  // no rules): of the 145 kbuild jobs scheduled on checkouts, 56 allow
  // mainline/master with their tree rules alone, and 9 more have a
  // min_version too: 4.10 (kbuild-gcc-14-arc-mainline{,-allnoconfig}), 4.15
  // (kbuild-gcc-14-riscv-mainline{,-allnoconfig}) and 6.6 (loongarch and
  // the four aws-ec2 jobs). Three builds come twice:
  // kbuild-gcc-14-arm is build_variants' gcc-14 arm multi_v7_defconfig,
  // kbuild-clang-21-arm-mainline has kbuild-clang-21-arm's params, and
  // kbuild-gcc-14-arm64-kselftest-16k_pages those of
  // kbuild-gcc-14-arm64-kselftest (they differ in the image only).
  Matrix matrix = expand_build_matrix(config, options);
  EXPECT_EQ(matrix.duplicates, 3u);
  EXPECT_EQ(matrix.needs_version.size(), 9u);
  std::size_t from_jobs = 0;
  for (const auto& e : matrix.entries) from_jobs += !e.job.empty();
  EXPECT_EQ(from_jobs, 53u);                  // 56 - 3
  EXPECT_EQ(matrix.entries.size(), 3u + 53);  // build_variants: arm, arm64, x86_64

  options.kernel_version = "v6.1";  // the 4.x minimums pass, the 6.6 ones do not
  matrix = expand_build_matrix(config, options);
  EXPECT_TRUE(matrix.needs_version.empty());
  EXPECT_EQ(matrix.entries.size(), 3u + 57);
  options.kernel_version = "6.6";
  EXPECT_EQ(expand_build_matrix(config, options).entries.size(), 3u + 62);

  auto found = std::find_if(matrix.entries.begin(), matrix.entries.end(), [](const auto& e) {
    return e.job == "kbuild-clang-21-arm-allmodconfig";
  });
  ASSERT_NE(found, matrix.entries.end());
  // params: defconfig [defconfig, allmodconfig], fragments
  // ['CONFIG_FRAME_WARN=2048'], clang-21, arm-linux-gnueabihf-.
  EXPECT_EQ(found->defconfig, "defconfig+allmodconfig+CONFIG_FRAME_WARN=2048");
  EXPECT_EQ(found->cc, "clang");
  EXPECT_EQ(found->cc_version, "21");
  EXPECT_EQ(found->cross_compile, "arm-linux-gnueabihf-");
}

TEST_F(RealPipeline, ArchitecturesAndTreeDenials) {
  PipelineConfig config = PipelineConfig::load({kSplit});
  MatrixOptions options;
  // cip: every kbuild job there is "<<: *kbuild-job" style with '!cip'
  // (or names other trees only): no kbuild job builds a cip checkout.
  options.tree = "cip";
  Matrix cip = expand_build_matrix(config, options);
  for (const auto& e : cip.entries) EXPECT_TRUE(e.job.empty()) << e.job;
  // tegra/for-next has "architectures: [arm64, arm]": 12 kbuild jobs of
  // those arches allow it, 3 of them builds listed already:
  // kbuild-gcc-14-arm and kbuild-gcc-14-arm-build-only are build_variants'
  // gcc-14 arm multi_v7_defconfig, kbuild-gcc-14-arm64-build-only has the
  // params of kbuild-gcc-14-arm64.
  options.tree = "tegra";
  Matrix tegra = expand_build_matrix(config, options);
  std::size_t from_jobs = 0;
  for (const auto& e : tegra.entries) {
    from_jobs += !e.job.empty();
    EXPECT_TRUE(e.arch == "arm" || e.arch == "arm64") << e.arch;
  }
  EXPECT_EQ(from_jobs, 9u);
  EXPECT_EQ(tegra.duplicates, 3u);
}

TEST_F(RealPipeline, UnifiedFileLoads) {
  PipelineConfig config = PipelineConfig::load(
      {KCI_SOURCE_DIR "/../shared/kernelci-configs/pipeline-unified-2025-02/pipeline.yaml"});
  EXPECT_EQ(config.jobs().size(), 205u);
  EXPECT_EQ(config.scheduler().size(), 233u);
}

}  // namespace
}  // namespace kci::pipeline
