// SPDX-License-Identifier: LGPL-2.1-or-later
// Golden files of what a build writes beside its artifacts:
//   testdata/bmeta/<case>.meta.json (BuildMeta's fields)      -> <case>.bmeta.json
//   testdata/reproducer/<case>.input.json (ReproducerInput)   -> <case>.reproducer.sh
// byte for byte. Regenerate with scripts/update-golden.sh and review the diff.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <set>

#include "pipeline/build/bmeta.h"
#include "pipeline/build/kbuild.h"
#include "report/json.h"
#include "util/file.h"
#include "util/subprocess.h"
#include "util/test_support.h"

namespace kci::pipeline {
namespace {

namespace fs = std::filesystem;

const fs::path kDir = fs::path(KCI_SOURCE_DIR) / "src/pipeline/build/testdata";

json::Document load(const fs::path& path) {
  json::Document doc;
  std::string text = read_file(path.string());
  doc.Parse(text.data(), text.size());
  EXPECT_FALSE(doc.HasParseError()) << path;
  EXPECT_TRUE(doc.IsObject()) << path;
  return doc;
}

// Reads the input's members into the struct; a member the struct has no
// field for fails the test (so a typo in an input is not silently ignored).
class Fields {
 public:
  Fields(const json::Value& object, const fs::path& path) : object_(object), path_(path) {}
  ~Fields() {
    for (auto it = object_.MemberBegin(); it != object_.MemberEnd(); ++it) {
      std::string name(json::str(it->name));
      if (name != "comment" && !used_.contains(name))
        ADD_FAILURE() << path_ << ": unknown " << name;
    }
  }
  void str(const char* key, std::string& out) {
    if (const json::Value* v = get(key)) out = v->GetString();
  }
  void num(const char* key, double& out) {
    if (const json::Value* v = get(key)) out = v->GetDouble();
  }
  void num(const char* key, int& out) {
    if (const json::Value* v = get(key)) out = v->GetInt();
  }
  void num(const char* key, std::optional<std::uint64_t>& out) {
    if (const json::Value* v = get(key)) out = v->GetUint64();
  }
  void flag(const char* key, bool& out) {
    if (const json::Value* v = get(key)) out = v->GetBool();
  }
  void list(const char* key, std::vector<std::string>& out) {
    if (const json::Value* v = get(key)) {
      for (const auto& item : v->GetArray()) out.emplace_back(item.GetString());
    }
  }
  void pairs(const char* key, std::vector<std::pair<std::string, std::string>>& out) {
    if (const json::Value* v = get(key)) {
      for (const auto& item : v->GetArray())
        out.emplace_back(item[0].GetString(), item[1].GetString());
    }
  }
  const json::Value* get(const char* key) {
    used_.insert(key);
    auto it = object_.FindMember(key);
    return it == object_.MemberEnd() ? nullptr : &it->value;
  }

 private:
  const json::Value& object_;
  fs::path path_;
  std::set<std::string> used_;
};

BuildMeta meta_from(const fs::path& path) {
  json::Document doc = load(path);
  BuildMeta m;
  Fields f(doc, path);
  f.str("status", m.status);
  f.num("build_time", m.build_time);
  f.str("build_environment", m.build_environment);
  f.num("build_threads", m.build_threads);
  f.str("arch", m.arch);
  f.str("compiler", m.compiler);
  f.str("compiler_version", m.compiler_version);
  f.str("compiler_version_full", m.compiler_version_full);
  f.str("cross_compile", m.cross_compile);
  f.str("defconfig", m.defconfig);
  f.str("defconfig_full", m.defconfig_full);
  f.list("kconfig_fragments", m.kconfig_fragments);
  f.str("git_url", m.git_url);
  f.str("git_branch", m.git_branch);
  f.str("git_commit", m.git_commit);
  f.str("git_describe", m.git_describe);
  f.str("git_describe_v", m.git_describe_v);
  f.str("tree", m.tree);
  f.str("publish_path", m.publish_path);
  f.str("kernel_image", m.kernel_image);
  f.num("kernel_image_size", m.kernel_image_size);
  f.str("kernel_config", m.kernel_config);
  f.str("system_map", m.system_map);
  f.str("modules", m.modules);
  f.str("dtb_dir", m.dtb_dir);
  f.str("build_log", m.build_log);
  if (const json::Value* sizes = f.get("vmlinux_sizes")) {
    m.vmlinux_sizes =
        VmlinuxSizes{(*sizes)[0].GetUint64(), (*sizes)[1].GetUint64(), (*sizes)[2].GetUint64()};
  }
  f.num("vmlinux_file_size", m.vmlinux_file_size);
  f.str("text_offset", m.text_offset);
  f.flag("use_ccache", m.use_ccache);
  f.str("start_time", m.start_time);
  f.str("status_reason", m.status_reason);
  return m;
}

ReproducerInput reproducer_from(const fs::path& path) {
  json::Document doc = load(path);
  ReproducerInput in;
  Fields f(doc, path);
  f.str("source_dir", in.source_dir);
  f.str("commit", in.commit);
  f.str("config_full", in.config_full);
  f.str("arch", in.arch);
  f.str("toolchain", in.toolchain);
  f.pairs("environment", in.environment);
  f.list("make_variables", in.make_variables);
  f.num("jobs", in.jobs);
  f.str("defconfig", in.defconfig);
  f.str("fragment_text", in.fragment_text);
  f.list("targets", in.targets);
  return in;
}

std::string stem_of(const fs::path& input, const std::string& suffix) {
  std::string name = input.filename().string();
  return name.substr(0, name.size() - suffix.size());
}

TEST(Golden, BmetaJson) {
  const fs::path dir = kDir / "bmeta";
  for (const fs::path& input : testing::golden_inputs(dir, ".meta.json")) {
    EXPECT_TRUE(testing::check_golden(dir / (stem_of(input, ".meta.json") + ".bmeta.json"),
                                      bmeta_json(meta_from(input))));
  }
}

TEST(Golden, ReproducerScripts) {
  const fs::path dir = kDir / "reproducer";
  for (const fs::path& input : testing::golden_inputs(dir, ".input.json")) {
    std::string script = reproducer_script(reproducer_from(input));
    EXPECT_TRUE(
        testing::check_golden(dir / (stem_of(input, ".input.json") + ".reproducer.sh"), script));
    // And every one is a shell script sh accepts.
    RunOptions options;
    options.stdin_data = script;
    RunResult check = run_process({"sh", "-n"}, options);
    EXPECT_TRUE(check.ok()) << input << ": " << check.err;
  }
}

}  // namespace
}  // namespace kci::pipeline
