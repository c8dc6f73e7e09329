// SPDX-License-Identifier: LGPL-2.1-or-later
// Fast tests of kci build's parts: config specs and fragments, verdicts and
// log excerpts from real-looking logs, bmeta.json, artifact paths and URLs,
// reproducer.sh and the KCIDB report. The real builds are in tests/kernel.
#include "pipeline/build/kbuild.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "pipeline/build/artifacts.h"
#include "pipeline/build/bmeta.h"
#include "pipeline/build/kbuild_log.h"
#include "pipeline/build/kbuild_report.h"
#include "pipeline/config/checkout_id.h"
#include "report/validate.h"
#include "util/subprocess.h"

namespace kci::pipeline {
namespace {

namespace fs = std::filesystem;

// What gcc 12 prints for a C error in a kernel build, with kbuild's lines
// around it.
constexpr const char* kGccErrorLog = R"(  CC      kernel/fork.o
  CC      init/main.o
/src/init/main.c: In function 'kci_test_compile_error':
/src/init/main.c:1650:16: error: 'kci_test_undeclared_identifier' undeclared (first use in this function)
 1650 |         return kci_test_undeclared_identifier;
      |                ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
/src/init/main.c:1650:16: note: each undeclared identifier is reported only once for each function it appears in
/src/kernel/fork.c:12:5: warning: no previous prototype for 'f' [-Wmissing-prototypes]
make[3]: *** [/src/scripts/Makefile.build:250: init/main.o] Error 1
make[2]: *** [/src/scripts/Makefile.build:500: init] Error 2
make[1]: *** [/src/Makefile:1992: .] Error 2
make: *** [Makefile:231: __sub-make] Error 2
)";

TEST(KbuildLog, FindsGccErrorsAndWarnings) {
  BuildLogSummary s = scan_build_log(kGccErrorLog);
  EXPECT_EQ(s.errors, 1u);
  EXPECT_EQ(s.warnings, 1u);
  ASSERT_EQ(s.error_lines.size(), 1u);
  EXPECT_NE(s.error_lines[0].find("error: 'kci_test_undeclared_identifier' undeclared"),
            std::string::npos);
  EXPECT_FALSE(s.infrastructure_error);
}

TEST(KbuildLog, ExcerptHasTheErrorWithContext) {
  std::string excerpt = build_log_excerpt(kGccErrorLog);
  EXPECT_NE(excerpt.find("In function 'kci_test_compile_error'"), std::string::npos);
  EXPECT_NE(excerpt.find("/src/init/main.c:1650:16: error:"), std::string::npos);
  EXPECT_NE(excerpt.find("^~~~"), std::string::npos);
  EXPECT_EQ(excerpt.find("CC      kernel/fork.o"), std::string::npos);
  EXPECT_EQ(excerpt.find("warning"), std::string::npos);
}

TEST(KbuildLog, LinkerAndAssemblerErrors) {
  EXPECT_TRUE(is_error_line("ld: vmlinux.o: in function `x': undefined reference to `y'"));
  EXPECT_TRUE(is_error_line("ld.lld: error: undefined symbol: foo"));
  EXPECT_TRUE(is_error_line("arch/x86/entry/entry_64.S:12: Error: no such instruction: `foo'"));
  EXPECT_TRUE(is_error_line("ERROR: modpost: \"foo\" [drivers/x.ko] undefined!"));
  EXPECT_TRUE(is_error_line("x.c:1:10: fatal error: nothere.h: No such file or directory"));
  EXPECT_FALSE(is_error_line("  CC      kernel/error.o"));
  EXPECT_FALSE(is_error_line("make[1]: *** [Makefile:1] Error 2"));
}

TEST(KbuildLog, InfrastructureFailures) {
  for (const char* line :
       {"x.c:1: fatal error: error writing to /tmp/ccX.s: No space left on device",
        "gcc: fatal error: Killed signal terminated program cc1",
        "/bin/sh: 1: aarch64-linux-gnu-gcc: not found",
        "cc1: out of memory allocating 65536 bytes: virtual memory exhausted"}) {
    BuildLogSummary s = scan_build_log(std::string("  CC a.o\n") + line + "\n");
    EXPECT_TRUE(s.infrastructure_error) << line;
    EXPECT_EQ(classify_failure(s, false, false, false), BuildStatus::kError) << line;
  }
}

TEST(KbuildLog, Verdicts) {
  BuildLogSummary compile = scan_build_log(kGccErrorLog);
  EXPECT_EQ(classify_failure(compile, false, false, false), BuildStatus::kFail);
  EXPECT_EQ(classify_failure(compile, true, false, false), BuildStatus::kError);
  EXPECT_EQ(classify_failure(compile, false, true, false), BuildStatus::kError);
  // "Can't find default configuration": the tree cannot serve the request.
  BuildLogSummary no_defconfig = scan_build_log(
      "***\n*** Can't find default configuration \"arch/x86/configs/nope_defconfig\"!\n***\n");
  EXPECT_EQ(classify_failure(no_defconfig, false, false, true), BuildStatus::kError);
}

TEST(KbuildLog, ExcerptFallsBackToTheEndAndRespectsTheLimit) {
  std::string log;
  for (int i = 0; i < 100; ++i) log += "line " + std::to_string(i) + "\n";
  std::string excerpt = build_log_excerpt(log);
  EXPECT_EQ(excerpt.find("line 59\n"), std::string::npos);
  EXPECT_NE(excerpt.find("line 60\n"), std::string::npos);
  EXPECT_NE(excerpt.find("line 99\n"), std::string::npos);
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "a.c:" + std::to_string(i) + ":1: error: bad thing\n";
  std::string limited = build_log_excerpt(many);
  EXPECT_LE(limited.size(), kMaxLogExcerpt);
  EXPECT_EQ(limited.back(), '\n');
}

TEST(Kbuild, ParsesConfigSpecs) {
  ConfigSpec s = parse_config_spec("tinyconfig+x86_64-boot+CONFIG_KUNIT=y");
  EXPECT_EQ(s.defconfig, "tinyconfig");
  EXPECT_EQ(s.fragments, (std::vector<std::string>{"x86_64-boot", "CONFIG_KUNIT=y"}));
  EXPECT_TRUE(parse_config_spec("defconfig").fragments.empty());
  EXPECT_THROW(parse_config_spec(""), UsageError);
  EXPECT_THROW(parse_config_spec("defconfig++x"), UsageError);
  EXPECT_THROW(parse_config_spec("defconfig+"), UsageError);
  EXPECT_THROW(parse_config_spec("CONFIG_X=y"), UsageError);
}

class FragmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kbuild_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "kernel/configs");
    fs::create_directories(dir_ / "arch/x86/configs");
    std::ofstream(dir_ / "kernel/configs/kvm_guest.config") << "CONFIG_KVM_GUEST=y\n";
    std::ofstream(dir_ / "arch/x86/configs/xen.config") << "CONFIG_XEN=y";
    std::ofstream(dir_ / "my-frag.config") << "CONFIG_FOO=y\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(FragmentTest, ResolvesEveryKind) {
  auto inline_config = resolve_fragment("CONFIG_KUNIT=y", dir_, "x86", {});
  EXPECT_EQ(inline_config.content, "CONFIG_KUNIT=y\n");
  EXPECT_EQ(inline_config.name, "CONFIG_KUNIT=y");
  auto file = resolve_fragment((dir_ / "my-frag.config").string(), dir_, "x86", {});
  EXPECT_EQ(file.name, "my-frag");
  EXPECT_EQ(file.content, "CONFIG_FOO=y\n");
  auto in_tree = resolve_fragment("kvm_guest", dir_, "x86", {});
  EXPECT_EQ(in_tree.source, "kernel/configs/kvm_guest.config");
  auto arch_tree = resolve_fragment("xen", dir_, "x86", {});
  EXPECT_EQ(arch_tree.content, "CONFIG_XEN=y\n");
  NamedFragmentLookup lookup =
      [](const std::string& name) -> std::optional<std::vector<std::string>> {
    if (name == "x86_64-boot") return std::vector<std::string>{"CONFIG_TTY=y", "CONFIG_PCI=y"};
    return std::nullopt;
  };
  auto named = resolve_fragment("x86_64-boot", dir_, "x86", lookup);
  EXPECT_EQ(named.content, "CONFIG_TTY=y\nCONFIG_PCI=y\n");
  EXPECT_EQ(named.source, "config:x86_64-boot");
  EXPECT_THROW(resolve_fragment("nope", dir_, "x86", lookup), UsageError);
  EXPECT_THROW(resolve_fragment("CONFIG_NOVALUE", dir_, "x86", {}), UsageError);
  std::vector<ConfigFragment> all = {named, inline_config, file};
  EXPECT_EQ(config_full_name("tinyconfig", all), "tinyconfig+x86_64-boot+CONFIG_KUNIT=y+my-frag");
  std::string merged = merged_fragment_text(all);
  EXPECT_NE(merged.find("CONFIG_PCI=y\n"), std::string::npos);
  EXPECT_NE(merged.find("CONFIG_KUNIT=y\n"), std::string::npos);
  EXPECT_NE(merged.find("CONFIG_FOO=y\n"), std::string::npos);
}

TEST(Bmeta, ParsesSizeOutput) {
  auto sizes = parse_size_output(
      "   text\t   data\t    bss\t    dec\t    hex\tfilename\n"
      "2744372\t 690950\t1261568\t4696890\t 47ab3a\tvmlinux\n");
  ASSERT_TRUE(sizes);
  EXPECT_EQ(sizes->text, 2744372u);
  EXPECT_EQ(sizes->data, 690950u);
  EXPECT_EQ(sizes->bss, 1261568u);
  EXPECT_FALSE(parse_size_output("size: 'x': No such file\n"));
}

TEST(Bmeta, TextOffsetFromSystemMap) {
  auto offset = text_offset_from_system_map(
      "0000000000000000 D __per_cpu_start\nffffffff81000000 T _text\n"
      "ffffffff81000000 T startup_64\n");
  ASSERT_TRUE(offset);
  EXPECT_EQ(*offset, "0xffffffff81000000");
  EXPECT_FALSE(text_offset_from_system_map("ffffffff81000000 T _stext\n"));
}

TEST(Bmeta, WritesTheLegacyFields) {
  BuildMeta m;
  m.status = "PASS";
  m.build_time = 12.5;
  m.arch = "arm64";
  m.compiler = "gcc";
  m.compiler_version = "12.2.0";
  m.compiler_version_full = "aarch64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0";
  m.cross_compile = "aarch64-linux-gnu-";
  m.defconfig = "tinyconfig";
  m.defconfig_full = "tinyconfig+arm64-boot";
  m.git_commit = std::string(40, 'a');
  m.kernel_image = "Image";
  m.vmlinux_sizes = VmlinuxSizes{1, 2, 3};
  m.vmlinux_file_size = 99;
  m.text_offset = "0xffff800008000000";
  json::Document doc;
  std::string text = bmeta_json(m);
  doc.Parse(text.c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_STREQ(doc["status"].GetString(), "PASS");
  EXPECT_STREQ(doc["build_result"].GetString(), "PASS");
  EXPECT_DOUBLE_EQ(doc["build_time"].GetDouble(), 12.5);
  EXPECT_STREQ(doc["cross_compile"].GetString(), "aarch64-linux-gnu-");
  EXPECT_STREQ(doc["defconfig_full"].GetString(), "tinyconfig+arm64-boot");
  EXPECT_STREQ(doc["kernel_image"].GetString(), "Image");
  EXPECT_EQ(doc["vmlinux_text_size"].GetUint64(), 1u);
  EXPECT_EQ(doc["vmlinux_data_size"].GetUint64(), 2u);
  EXPECT_EQ(doc["vmlinux_bss_size"].GetUint64(), 3u);
  EXPECT_EQ(doc["vmlinux_file_size"].GetUint64(), 99u);
  EXPECT_STREQ(doc["text_offset"].GetString(), "0xffff800008000000");
  EXPECT_FALSE(doc.HasMember("git_url"));  // unknown: left out
}

TEST(Artifacts, PublishPathAndUrls) {
  EXPECT_EQ(publish_path({"mainline", "for-next/core", "v6.1-rc1-2-gabc", "arm64",
                          "defconfig+CONFIG_EFI=y", "gcc-12"}),
            "mainline/for-next_core/v6.1-rc1-2-gabc/arm64/defconfig+CONFIG_EFI=y/gcc-12");
  EXPECT_EQ(path_component(".."), "_..");
  EXPECT_EQ(path_component("a b"), "a_b");
  EXPECT_EQ(artifact_url("https://store.example.org/kci/", "a/b c/bzImage"),
            "https://store.example.org/kci/a/b%20c/bzImage");
  EXPECT_EQ(file_url("/tmp/x y/"), "file:///tmp/x%20y");
  EXPECT_EQ(url_encode_path("tinyconfig+CONFIG_X=y"), "tinyconfig+CONFIG_X=y");
}

// reproducer.sh itself is checked against golden files (golden_test.cpp,
// testdata/reproducer/), each also run through sh -n; shell quoting by util_test.

BuildResult sample_result(BuildStatus status) {
  BuildResult r;
  r.status = status;
  r.start_time = "2026-11-24T02:00:00.000000+00:00";
  r.duration = 143.2;
  r.git.is_git = true;
  r.git.commit = std::string(40, 'c');
  r.git.describe = "v6.1-debian-import";
  r.git.url = "/local/path";
  r.tree = "linux-6.1";
  r.branch = "main";
  r.arch = arch_info("x86_64");
  r.toolchain = parse_toolchain("gcc");
  r.compiler = parse_compiler_version("gcc (Debian 12.2.0-14) 12.2.0\n");
  r.config_full = "tinyconfig+x86_64-boot";
  r.publish_path = "linux-6.1/main/v6.1-debian-import/x86_64/tinyconfig+x86_64-boot/gcc";
  r.url_base = "https://storage.example.org/" + r.publish_path;
  r.outputs = {
      {"bzImage", "bzImage"}, {"kernel.config", "kernel.config"}, {"build.log", "build.log"}};
  if (status != BuildStatus::kPass) {
    r.reason = "kernel step: x.c:1:1: error: bad";
    r.log_excerpt = "x.c:1:1: error: bad\n";
  }
  r.steps.push_back({"kernel", r.start_time, 140, status == BuildStatus::kPass, "make"});
  return r;
}

TEST(KbuildReport, IsAValidV5_3Report) {
  for (BuildStatus status : {BuildStatus::kPass, BuildStatus::kFail, BuildStatus::kError}) {
    BuildResult r = sample_result(status);
    json::Document doc;
    report::to_json(kbuild_report(r, "kci", "/src"), doc, false);
    report::ValidationResult v = report::validate_report(doc);
    for (const auto& e : v.errors) ADD_FAILURE() << e.str();
    const auto& build = doc["builds"][0];
    EXPECT_EQ(std::string_view(build["status"].GetString()), status_name(status));
    EXPECT_STREQ(build["checkout_id"].GetString(), doc["checkouts"][0]["id"].GetString());
    EXPECT_STREQ(build["config_url"].GetString(),
                 ("https://storage.example.org/" + r.publish_path + "/kernel.config").c_str());
    EXPECT_STREQ(build["compiler"].GetString(), "gcc (Debian 12.2.0-14) 12.2.0");
    EXPECT_EQ(build.HasMember("log_excerpt"), status != BuildStatus::kPass);
    // A local repository path is not an https URL: KCIDB would reject it.
    EXPECT_FALSE(doc["checkouts"][0].HasMember("git_repository_url"));
  }
}

TEST(KbuildReport, IdsAreStableForACheckoutAndUniquePerBuild) {
  BuildResult a = sample_result(BuildStatus::kPass);
  BuildResult b = a;
  b.start_time = "2026-11-24T03:00:00.000000+00:00";
  EXPECT_EQ(kbuild_checkout_id("kci", a, "/src"), kbuild_checkout_id("kci", b, "/src"));
  std::string checkout = kbuild_checkout_id("kci", a, "/src");
  EXPECT_NE(kbuild_build_id("kci", checkout, a), kbuild_build_id("kci", checkout, b));
  // A branch head has the ID kci monitor gives it.
  EXPECT_EQ(checkout, branch_checkout_id("kci", a.tree, a.branch, a.git.commit));
  // A detached commit has a hash of what names the source.
  BuildResult detached = a;
  detached.branch.clear();
  EXPECT_TRUE(kbuild_checkout_id("kci", detached, "/src").starts_with("kci:checkout-"));
}

}  // namespace
}  // namespace kci::pipeline
