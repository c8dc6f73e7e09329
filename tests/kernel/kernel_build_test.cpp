// SPDX-License-Identifier: LGPL-2.1-or-later
// Checks the kernels the kernel_builds fixture built with the real `kci
// build` (tests/kernel/build-kernels.sh): verdicts, artifacts, bmeta.json
// against `size vmlinux` and System.map, and that every printed report is a
// valid KCIDB report (`kci validate`).
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "report/json.h"
#include "util/file.h"
#include "util/subprocess.h"

namespace kci {
namespace {

namespace fs = std::filesystem;

struct Kernel {
  std::string name;
  json::Document report;  // the KCIDB report kci build printed
  json::Document bmeta;   // bmeta.json in the artifact dir
  std::string artifacts;  // the artifact dir
  std::string build_dir;  // the O= dir
  std::string report_path;
  std::string commit;

  const json::Value& build() const { return report["builds"][0]; }
  const json::Value& checkout() const { return report["checkouts"][0]; }
  std::string status() const { return std::string(json::str(build()["status"])); }
};

json::Document parse(const std::string& text, const std::string& what) {
  json::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError()) throw Error("cannot parse " + what);
  return doc;
}

const json::Document& index() {
  static json::Document doc =
      parse(read_file(std::string(KCI_KERNEL_ARTIFACTS) + "/index.json"), "index.json");
  return doc;
}

// Loads a kernel of the index; fails the calling test when it is missing.
std::optional<Kernel> kernel(const std::string& name) {
  const auto& kernels = index()["kernels"];
  if (!kernels.HasMember(name.c_str())) {
    ADD_FAILURE() << "kernel " << name << " is not in index.json (its kci build failed?)";
    return std::nullopt;
  }
  const auto& entry = kernels[name.c_str()];
  Kernel k;
  k.name = name;
  k.report_path = std::string(json::str(entry["report"]));
  k.report = parse(read_file(k.report_path), k.report_path);
  k.artifacts = std::string(json::str(entry["artifacts"]));
  k.build_dir = std::string(json::str(entry["build_dir"]));
  k.commit = std::string(json::str(entry["commit"]));
  k.bmeta = parse(read_file(k.artifacts + "/bmeta.json"), "bmeta.json");
  return k;
}

std::string text(const json::Value& object, const char* key) {
  return object.HasMember(key) ? std::string(json::str(object[key])) : std::string();
}

// The output file of that name, as a local path (the URLs are file://).
std::optional<std::string> output_path(const Kernel& k, const std::string& name) {
  for (const auto& f : k.build()["output_files"].GetArray()) {
    if (json::str(f["name"]) != name) continue;
    std::string url(json::str(f["url"]));
    if (!url.starts_with("file://")) return std::nullopt;
    return url.substr(7);
  }
  return std::nullopt;
}

std::string file_text(const std::string& path) { return read_file(path); }

void expect_pass_with_image(const Kernel& k, const std::string& image) {
  EXPECT_EQ(k.status(), "PASS") << text(k.build(), "log_excerpt");
  auto image_path = output_path(k, image);
  ASSERT_TRUE(image_path) << image << " not in output_files";
  EXPECT_TRUE(fs::is_regular_file(*image_path)) << *image_path;
  EXPECT_GT(fs::file_size(*image_path), 100'000u);
  for (const char* name :
       {"System.map", "kernel.config", "build.log", "bmeta.json", "reproducer.sh"}) {
    auto path = output_path(k, name);
    ASSERT_TRUE(path) << name << " not in output_files";
    EXPECT_TRUE(fs::is_regular_file(*path)) << *path;
  }
  EXPECT_EQ(text(k.bmeta, "status"), "PASS");
  EXPECT_EQ(text(k.bmeta, "kernel_image"), image);
  EXPECT_EQ(text(k.bmeta, "git_commit"), k.commit);
  EXPECT_EQ(text(k.checkout(), "git_commit_hash"), k.commit);
  EXPECT_FALSE(k.build().HasMember("log_excerpt"));
}

bool config_has(const Kernel& k, const std::string& line) {
  std::string config = file_text(k.artifacts + "/kernel.config");
  return config.find("\n" + line + "\n") != std::string::npos;
}

TEST(KernelBuild, X86_64GccPassesWithArtifacts) {
  auto k = kernel("x86_64-gcc");
  ASSERT_TRUE(k);
  expect_pass_with_image(*k, "bzImage");
  const auto& b = k->build();
  EXPECT_EQ(text(b, "architecture"), "x86_64");
  EXPECT_EQ(text(b, "config_name"), "tinyconfig+x86_64-boot+kunit");
  EXPECT_NE(text(b, "compiler").find("gcc"), std::string::npos) << text(b, "compiler");
  EXPECT_EQ(text(b, "config_url"), "file://" + *output_path(*k, "kernel.config"));
  EXPECT_EQ(text(b, "log_url"), "file://" + *output_path(*k, "build.log"));
  EXPECT_GT(b["duration"].GetDouble(), 0);
  EXPECT_TRUE(b["misc"].HasMember("warnings"));
  EXPECT_TRUE(b["misc"]["kernel_image_size"].IsUint64());
  // The named fragment (config/kci.yaml) and the fragment file both landed.
  EXPECT_TRUE(config_has(*k, "CONFIG_SERIAL_8250_CONSOLE=y"));
  EXPECT_TRUE(config_has(*k, "CONFIG_KUNIT=y"));
  EXPECT_TRUE(config_has(*k, "CONFIG_KUNIT_EXAMPLE_TEST=y"));
  // KernelCI's layout: tree/branch/describe/arch/config/toolchain.
  EXPECT_TRUE(k->artifacts.ends_with(
      "/linux-6.1/main/v6.1-debian-import/x86_64/tinyconfig+x86_64-boot+kunit/gcc"))
      << k->artifacts;
}

TEST(KernelBuild, X86_64GccBmetaMatchesVmlinux) {
  auto k = kernel("x86_64-gcc");
  ASSERT_TRUE(k);
  const auto& m = k->bmeta;
  std::string vmlinux = k->build_dir + "/vmlinux";
  RunResult size = run_process({"size", vmlinux});
  ASSERT_TRUE(size.ok()) << size.err;
  // "   text	   data	    bss	    dec	    hex	filename" then the numbers.
  std::string numbers = size.out.substr(size.out.find('\n') + 1);
  std::uint64_t text_size = 0, data_size = 0, bss_size = 0;
  ASSERT_EQ(std::sscanf(numbers.c_str(), "%lu %lu %lu", &text_size, &data_size, &bss_size), 3);
  EXPECT_EQ(m["vmlinux_text_size"].GetUint64(), text_size);
  EXPECT_EQ(m["vmlinux_data_size"].GetUint64(), data_size);
  EXPECT_EQ(m["vmlinux_bss_size"].GetUint64(), bss_size);
  EXPECT_EQ(m["vmlinux_file_size"].GetUint64(), fs::file_size(vmlinux));
  EXPECT_EQ(m["kernel_image_size"].GetUint64(), fs::file_size(k->artifacts + "/bzImage"));
  std::string map = file_text(k->artifacts + "/System.map");
  std::string offset = text(m, "text_offset");
  ASSERT_TRUE(offset.starts_with("0x")) << offset;
  EXPECT_NE(map.find(offset.substr(2) + " T _text\n"), std::string::npos) << offset;
  EXPECT_EQ(text(m, "arch"), "x86_64");
  EXPECT_EQ(text(m, "compiler"), "gcc");
  EXPECT_FALSE(text(m, "compiler_version").empty());
  EXPECT_NE(text(m, "compiler_version_full").find(text(m, "compiler_version")), std::string::npos);
  EXPECT_EQ(text(m, "defconfig"), "tinyconfig");
  EXPECT_EQ(text(m, "defconfig_full"), "tinyconfig+x86_64-boot+kunit");
  EXPECT_EQ(text(m, "git_describe"), "v6.1-debian-import");
  EXPECT_EQ(text(m, "cross_compile"), "");
  EXPECT_GT(m["build_time"].GetDouble(), 0);
  EXPECT_TRUE(m["use_ccache"].GetBool());
}

TEST(KernelBuild, X86_64GccReproducerIsAShellScript) {
  auto k = kernel("x86_64-gcc");
  ASSERT_TRUE(k);
  std::string script = k->artifacts + "/reproducer.sh";
  std::string body = file_text(script);
  EXPECT_NE(body.find("merge_config.sh -m"), std::string::npos);
  EXPECT_NE(body.find("olddefconfig"), std::string::npos);
  EXPECT_NE(body.find(" bzImage\n"), std::string::npos);
  EXPECT_NE(body.find("git checkout --detach " + k->commit), std::string::npos);
  EXPECT_NE(body.find("CONFIG_KUNIT_EXAMPLE_TEST=y"), std::string::npos);
  RunResult check = run_process({"sh", "-n", script});
  EXPECT_TRUE(check.ok()) << check.err;
}

TEST(KernelBuild, Arm64GccPasses) {
  auto k = kernel("arm64-gcc");
  ASSERT_TRUE(k);
  expect_pass_with_image(*k, "Image");
  EXPECT_EQ(text(k->build(), "architecture"), "arm64");
  EXPECT_EQ(text(k->bmeta, "cross_compile"), "aarch64-linux-gnu-");
  EXPECT_TRUE(config_has(*k, "CONFIG_SERIAL_AMBA_PL011_CONSOLE=y"));
  EXPECT_TRUE(k->bmeta.HasMember("vmlinux_text_size"));
}

TEST(KernelBuild, Riscv64GccPasses) {
  auto k = kernel("riscv64-gcc");
  ASSERT_TRUE(k);
  expect_pass_with_image(*k, "Image");
  EXPECT_EQ(text(k->build(), "architecture"), "riscv");
  EXPECT_EQ(text(k->bmeta, "cross_compile"), "riscv64-linux-gnu-");
  EXPECT_TRUE(config_has(*k, "CONFIG_FPU=y"));
}

TEST(KernelBuild, X86_64ClangPasses) {
  auto k = kernel("x86_64-clang");
  ASSERT_TRUE(k);
  expect_pass_with_image(*k, "bzImage");
  EXPECT_NE(text(k->build(), "compiler").find("clang"), std::string::npos);
  EXPECT_EQ(text(k->bmeta, "compiler"), "clang");
  EXPECT_NE(text(k->build(), "command").find("LLVM=1"), std::string::npos);
  EXPECT_TRUE(config_has(*k, "CONFIG_CC_IS_CLANG=y"));
}

TEST(KernelBuild, X86_64PanicBuildsIncrementally) {
  auto k = kernel("x86_64-panic");
  ASSERT_TRUE(k);
  expect_pass_with_image(*k, "bzImage");
  EXPECT_NE(k->commit, std::string(json::str(index()["base_commit"])));
  // Started from a copy of the x86_64-gcc build directory: only init/main.c
  // (and what links it) is compiled again, not the ~1000 objects.
  std::string log = file_text(k->artifacts + "/build.log");
  EXPECT_NE(log.find("init/main.o"), std::string::npos);
  std::size_t compiled = 0;
  for (std::size_t at = log.find("\n  CC "); at != std::string::npos;
       at = log.find("\n  CC ", at + 1)) {
    ++compiled;
  }
  EXPECT_LT(compiled, 50u) << "not an incremental build";
}

TEST(KernelBuild, CompileErrorFailsWithTheErrorLine) {
  auto k = kernel("x86_64-compile-error");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->status(), "FAIL");
  std::string excerpt = text(k->build(), "log_excerpt");
  EXPECT_NE(excerpt.find("init/main.c:"), std::string::npos) << excerpt;
  // kci build runs make in the C locale: ASCII quotes.
  EXPECT_NE(excerpt.find("error: 'kci_test_undeclared_identifier' undeclared"), std::string::npos)
      << excerpt;
  EXPECT_GE(k->build()["misc"]["errors"].GetUint64(), 1u);
  EXPECT_EQ(text(k->bmeta, "status"), "FAIL");
  EXPECT_FALSE(output_path(*k, "bzImage"));
  EXPECT_TRUE(output_path(*k, "kernel.config"));
}

TEST(KernelBuild, MissingToolchainIsAnErrorNotAFailure) {
  auto k = kernel("x86_64-missing-toolchain");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->status(), "ERROR");
  EXPECT_LT(k->build()["duration"].GetDouble(), 60);
  EXPECT_NE(text(k->build(), "log_excerpt").find("gcc-99"), std::string::npos);
  EXPECT_EQ(k->build()["misc"]["steps"].Size(), 0u) << "make ran";
  EXPECT_EQ(text(k->bmeta, "status"), "ERROR");
}

TEST(KernelBuild, EveryReportValidates) {
  for (const auto& entry : index()["kernels"].GetObject()) {
    std::string report(json::str(entry.value["report"]));
    RunResult r = run_process({KCI_BINARY, "validate", report});
    EXPECT_TRUE(r.ok()) << entry.name.GetString() << ": " << r.err;
  }
}

}  // namespace
}  // namespace kci
