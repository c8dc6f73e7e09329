// SPDX-License-Identifier: LGPL-2.1-or-later
// YAML loading (merge keys, errors with positions) and the configuration
// model, on small documents written here.
#include "pipeline/config/config.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "pipeline/config/yaml_util.h"

namespace kci::pipeline {
namespace {

TEST(YamlMergeKeys, MergesAnAliasedMappingWithLocalKeysWinning) {
  YAML::Node root = load_yaml_string(R"(
base: &base {a: 1, b: 2}
child:
  <<: *base
  b: 3
)",
                                     "t.yaml");
  EXPECT_EQ(root["child"]["a"].as<int>(), 1);
  EXPECT_EQ(root["child"]["b"].as<int>(), 3);  // the mapping's own key wins
  EXPECT_FALSE(root["child"]["<<"].IsDefined());
  EXPECT_EQ(root["base"]["b"].as<int>(), 2);  // the anchor itself is untouched
}

TEST(YamlMergeKeys, EarlierMappingOfAListWins) {
  YAML::Node root = load_yaml_string(R"(
one: &one {x: 1, y: 1}
two: &two {x: 2, z: 2}
both:
  <<: [*one, *two]
)",
                                     "t.yaml");
  EXPECT_EQ(root["both"]["x"].as<int>(), 1);
  EXPECT_EQ(root["both"]["y"].as<int>(), 1);
  EXPECT_EQ(root["both"]["z"].as<int>(), 2);
}

TEST(YamlMergeKeys, ChainsAndNestedMerges) {
  // As in KernelCI: a merged mapping that has merge keys of its own, and a
  // merge inside a merged value (architectures: {<<: *defaults, ...}).
  YAML::Node root = load_yaml_string(R"(
a: &a {k1: a}
b: &b
  <<: *a
  k2: b
  inner: &inner {i1: 1}
c:
  <<: *b
  inner:
    <<: *inner
    i2: 2
)",
                                     "t.yaml");
  EXPECT_EQ(root["c"]["k1"].as<std::string>(), "a");
  EXPECT_EQ(root["c"]["k2"].as<std::string>(), "b");
  EXPECT_EQ(root["c"]["inner"]["i1"].as<int>(), 1);
  EXPECT_EQ(root["c"]["inner"]["i2"].as<int>(), 2);
}

TEST(YamlMergeKeys, QuotedKeyIsNotAMergeKey) {
  YAML::Node root = load_yaml_string("m: {'<<': plain}\n", "t.yaml");
  EXPECT_EQ(root["m"]["<<"].as<std::string>(), "plain");
}

// The ConfigError of loading text as name, or "no ConfigError".
std::string yaml_error(const std::string& text, const std::string& name) {
  try {
    load_yaml_string(text, name);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no ConfigError";
}

TEST(YamlMergeKeys, MergingAScalarIsAnErrorWithItsPosition) {
  std::string error = yaml_error("x: 1\nm:\n  <<: 5\n", "bad.yaml");
  EXPECT_EQ(error.rfind("bad.yaml:3:7: ", 0), 0u) << error;
}

TEST(YamlLoad, SyntaxErrorNamesFileLineAndColumn) {
  std::string error = yaml_error("a: 1\nb: [1, 2\n", "broken.yaml");
  EXPECT_EQ(error.rfind("broken.yaml:", 0), 0u) << error;
}

// YAML forbids equal keys in one mapping; yaml-cpp would keep one silently.
TEST(YamlLoad, DuplicateKeyIsAnErrorAtTheSecondOne) {
  EXPECT_EQ(yaml_error("trees:\n  t: {url: a}\n  t: {url: b}\n", "dup.yaml"),
            "dup.yaml:3:3: duplicate key 't'");
  // Keys brought in by a merge key are not duplicates: local keys win.
  EXPECT_EQ(yaml_error("a: &a {x: 1}\nb: {<<: *a, x: 2}\n", "m.yaml"), "no ConfigError");
}

TEST(ParseFrequency, KernelCIUnits) {
  EXPECT_EQ(parse_frequency("1h"), std::chrono::seconds(3600));
  EXPECT_EQ(parse_frequency("30m"), std::chrono::seconds(1800));
  EXPECT_EQ(parse_frequency("1d"), std::chrono::seconds(86400));
  EXPECT_EQ(parse_frequency("2h30m"), std::chrono::seconds(9000));
  EXPECT_EQ(parse_frequency("90"), std::chrono::seconds(90));
  EXPECT_FALSE(parse_frequency("").has_value());
  EXPECT_FALSE(parse_frequency("1x").has_value());
  EXPECT_FALSE(parse_frequency("h").has_value());
  EXPECT_FALSE(parse_frequency("1h30").has_value());
}

TEST(ExpandEnv, VariablesAndDefaults) {
  ::setenv("KCI_TEST_URL", "file:///tmp/linux", 1);
  ::unsetenv("KCI_TEST_UNSET");
  EXPECT_EQ(expand_env("${KCI_TEST_URL}"), "file:///tmp/linux");
  EXPECT_EQ(expand_env("${KCI_TEST_UNSET:-https://x/y.git}"), "https://x/y.git");
  EXPECT_EQ(expand_env("a${KCI_TEST_UNSET}b"), "ab");
  EXPECT_EQ(expand_env("no vars"), "no vars");
}

PipelineConfig config_from(const std::string& text) {
  PipelineConfig config;
  config.add_document(load_yaml_string(text, "t.yaml"), "t.yaml");
  config.finish();
  return config;
}

TEST(PipelineConfig, FragmentConfigsForKciBuild) {
  PipelineConfig config = config_from(R"(
fragments:
  boot: {path: kernel/configs/boot.config, configs: ['CONFIG_TTY=y', '# CONFIG_X is not set']}
  tiny: {path: kernel/configs/tiny.config, defconfig: tinyconfig}
)");
  EXPECT_EQ(config.fragment_configs("boot"),
            (std::vector<std::string>{"CONFIG_TTY=y", "# CONFIG_X is not set"}));
  EXPECT_TRUE(config.fragment_configs("tiny").empty());
  EXPECT_EQ(config.fragment("tiny")->defconfig, "tinyconfig");
  try {
    config.fragment_configs("nope");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("known: boot, tiny"), std::string::npos) << e.what();
  }
}

TEST(PipelineConfig, MailingLists) {
  PipelineConfig config = config_from(R"(
trees:
  net-next: {url: 'https://git.example.org/net-next.git'}
lists:
  netdev:
    archive: /srv/lore/netdev
    frequency: 5m
    timeout: 2h
    targets:
      - {tree: net-next, branch: main, repo: /srv/git/net-next, prefixes: [net-next],
         files: [net/], base_commit: true}
      - {tree: net-next, branch: main}
)");
  ASSERT_EQ(config.lists().size(), 1u);
  const MailingList& list = config.lists().at("netdev");
  EXPECT_EQ(list.archive, "/srv/lore/netdev");
  EXPECT_EQ(list.frequency, std::chrono::seconds(300));
  EXPECT_EQ(list.timeout, std::chrono::seconds(7200));
  ASSERT_EQ(list.targets.size(), 2u);
  EXPECT_EQ(list.targets[0].prefixes, std::vector<std::string>{"net-next"});
  EXPECT_EQ(list.targets[0].files, std::vector<std::string>{"net/"});
  EXPECT_TRUE(list.targets[0].base_commit);
  EXPECT_EQ(list.targets[0].repo, "/srv/git/net-next");
  EXPECT_FALSE(list.targets[1].base_commit);

  EXPECT_THROW(config_from("trees: {t: {url: https://x}}\n"
                           "lists: {l: {archive: /a, targets: [{tree: nope, branch: m}]}}\n"),
               ConfigError);
  EXPECT_THROW(config_from("lists: {l: {archive: /a}}\n"), ConfigError);
  EXPECT_THROW(config_from("trees: {t: {url: https://x}}\n"
                           "lists: {l: {archive: /a, timeout: soon, "
                           "targets: [{tree: t, branch: m}]}}\n"),
               ConfigError);
}

// References are checked once every file is read; the error names the
// file:line:column where the unknown name is written.
TEST(PipelineConfig, UnknownReferencesAreErrorsAtTheirPlace) {
  auto error_of = [](const std::string& text) -> std::string {
    try {
      config_from(text);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no ConfigError";
  };
  const std::string tree = "trees: {t: {url: https://x}}\n";
  const std::string with_env = tree +
                               "fragments: {kselftest: {configs: ['CONFIG_X=y']}}\n"
                               "build_environments: {gcc-12: {cc: gcc}}\n";
  // Build config c on tree t, branch m, variant v (lines 2-7 after one line
  // of trees, 4-9 after with_env).
  const std::string variant =
      "build_configs:\n"
      "  c:\n"
      "    tree: t\n"
      "    branch: m\n"
      "    variants:\n"
      "      v:\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {tree + "build_configs: {c: {tree: nope, branch: master}}\n",
       "t.yaml:2:27: build config 'c': unknown tree 'nope'"},
      {tree + variant +
           "        build_environment: gcc-99\n"
           "        architectures: {x86_64: }\n",
       "t.yaml:8:28: build config 'c' variant 'v': unknown build environment 'gcc-99'"},
      {with_env + variant +
           "        build_environment: gcc-12\n"
           "        fragments:\n"
           "          - kselftest\n"
           "          - nope\n",
       "t.yaml:13:13: build config 'c' variant 'v': unknown fragment 'nope'"},
      {with_env + variant +
           "        build_environment: gcc-12\n"
           "        architectures:\n"
           "          arm64: {fragments: [kselftest, arm64-nope]}\n",
       "t.yaml:12:42: build config 'c' variant 'v' arch arm64: unknown fragment 'arm64-nope'"},
      // A default variant (build_variants) is reported where it is written.
      {tree + "build_variants:\n"
              "  variants:\n"
              "    v: {build_environment: gcc-99}\n"
              "build_configs: {c: {tree: t, branch: m}}\n",
       "t.yaml:4:28: build config 'c' variant 'v': unknown build environment 'gcc-99'"},
      {tree + "lists: {l: {archive: /a, targets: [{tree: nope, branch: m}]}}\n",
       "t.yaml:2:43: list 'l': unknown tree 'nope'"},
  };
  for (const auto& [text, error] : cases) EXPECT_EQ(error_of(text), error) << text;
}

TEST(PipelineConfig, BadFrequencyPointsAtIt) {
  try {
    config_from(
        "trees: {t: {url: https://x}}\nbuild_configs:\n  c:\n    tree: t\n"
        "    branch: m\n    frequency: soon\n");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("t.yaml:6:16: bad frequency", 0), 0u) << e.what();
  }
}

TEST(PipelineConfig, OriginMustBeAKcidbOrigin) {
  EXPECT_EQ(config_from("kci: {origin: my_ci}\n").origin(), "my_ci");
  EXPECT_EQ(config_from("{}\n").origin(), "kci");
  EXPECT_THROW(config_from("kci: {origin: My-CI}\n"), ConfigError);
}

// Nodes of the wrong kind are ConfigErrors naming file:line:column, never
// yaml-cpp's own exceptions (fuzz/regressions/pipeline/: a build
// environment written as a scalar ended kci with YAML::BadSubscript).
TEST(PipelineConfig, NodesOfTheWrongKindAreErrorsWithTheirPlace) {
  struct Case {
    const char* yaml;
    const char* prefix;
  };
  for (const Case& c : {
           Case{"build_environments:\n  gcc-1: gcc-12\n", "t.yaml:2:10: expected a mapping"},
           Case{"build_environments:\n  gcc: {arch_params: {x86_64: [a]}}\n", "t.yaml:2:"},
           Case{"trees:\n  ? [a, b]\n  : {url: https://x}\n", "t.yaml:2:"},
           Case{"fragments: {f: {configs: {a: b}}}\n", "t.yaml:1:"},
       }) {
    try {
      config_from(c.yaml);
      ADD_FAILURE() << "accepted: " << c.yaml;
    } catch (const ConfigError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(c.prefix, 0), 0u) << c.yaml << " -> " << e.what();
    }
  }
}

TEST(PipelineConfig, ShippedKciYamlLoads) {
  PipelineConfig config = PipelineConfig::load({KCI_SOURCE_DIR "/config/kci.yaml"});
  ASSERT_NE(config.tree("linux"), nullptr);
  ASSERT_NE(config.build_config("linux"), nullptr);
  EXPECT_EQ(config.build_config("linux")->frequency, std::chrono::seconds(3600));
  EXPECT_EQ(config.origin(), "kci");
  for (const char* name : {"x86_64-boot", "arm64-boot", "riscv64-boot"}) {
    std::vector<std::string> lines = config.fragment_configs(name);
    EXPECT_GT(lines.size(), 20u) << name;
  }
  std::vector<std::string> riscv = config.fragment_configs("riscv64-boot");
  EXPECT_NE(std::find(riscv.begin(), riscv.end(), "CONFIG_FPU=y"), riscv.end());
}

// --tree-url naming a tree the configuration does not have is a bad option
// value (status 2) like a malformed one, and says which trees there are.
TEST(PipelineConfig, TreeUrlOfAnUnknownTreeIsAUsageError) {
  const std::vector<std::string> files = {KCI_SOURCE_DIR "/config/kci.yaml"};
  try {
    load_pipeline_config(files, {"nope=https://x/y.git"});
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("--tree-url nope=https://x/y.git: unknown tree 'nope' "
                                          "(the configuration has: ",
                                          0),
              0u)
        << e.what();
  }
  EXPECT_THROW(load_pipeline_config(files, {"=https://x"}), UsageError);
  PipelineConfig config = load_pipeline_config(files, {"linux=https://x/y.git"});
  EXPECT_EQ(config.tree("linux")->url, "https://x/y.git");
}

}  // namespace
}  // namespace kci::pipeline
