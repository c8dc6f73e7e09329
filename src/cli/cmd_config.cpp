// SPDX-License-Identifier: LGPL-2.1-or-later
// kci config: reading the pipeline configuration (KernelCI's legacy
// build-configs.yaml or the newer pipeline YAML) and showing what it asks
// for: the build matrix (build_configs variants and kbuild jobs), and the
// contents of a config fragment.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "pipeline/config/config.h"
#include "pipeline/config/matrix.h"
#include "report/json.h"

namespace kci::cli {

namespace {

struct ConfigOptions {
  std::vector<std::string> files;
  std::vector<std::string> tree_urls;  // NAME=URL
};

void add_config_options(CLI::App* cmd, ConfigOptions& o) {
  cmd->add_option("--config,-c", o.files,
                  "Pipeline YAML file or directory of them, repeatable (default: $KCI_CONFIG, "
                  "else config/kci.yaml)");
  cmd->add_option("--tree-url", o.tree_urls, "Override a tree's URL: NAME=URL (repeatable)");
}

}  // namespace

namespace {

std::string matrix_json(const std::vector<pipeline::MatrixEntry>& entries) {
  json::Document doc(rapidjson::kArrayType);
  auto& alloc = doc.GetAllocator();
  for (const auto& e : entries) {
    json::Value obj(rapidjson::kObjectType);
    auto add = [&](const char* key, const std::string& value) {
      obj.AddMember(json::Value(key, alloc), json::Value(value, alloc), alloc);
    };
    add("build_config", e.build_config);
    add("tree", e.tree);
    add("tree_url", e.tree_url);
    add("branch", e.branch);
    add("variant", e.variant);
    add("build_environment", e.build_environment);
    add("cc", e.cc);
    add("cc_version", e.cc_version);
    add("arch", e.arch);
    add("cross_compile", e.cross_compile);
    add("job", e.job);
    add("defconfig", e.defconfig);
    doc.PushBack(obj, alloc);
  }
  return json::write(doc, 2) + "\n";
}

std::string matrix_text(const std::vector<pipeline::MatrixEntry>& entries) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"TREE", "BRANCH", "BUILD_CONFIG", "BUILD_ENV", "ARCH", "DEFCONFIG"});
  for (const auto& e : entries) {
    // The variant is named after its build environment almost always; show
    // both only when they differ.
    std::string env =
        e.variant == e.build_environment ? e.variant : e.variant + "/" + e.build_environment;
    // A kbuild job's build is shown with the job's name: that is where it
    // comes from (the JSON has both).
    rows.push_back(
        {e.tree, e.branch, e.job.empty() ? e.build_config : e.job, env, e.arch, e.defconfig});
  }
  std::vector<std::size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) out += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out += '\n';
  }
  return out;
}

void add_matrix(CLI::App* config_cmd) {
  struct Options {
    ConfigOptions config;
    pipeline::MatrixOptions matrix;
    std::string format = "text";
  };
  auto o = std::make_shared<Options>();
  auto* cmd = config_cmd->add_subcommand(
      "matrix",
      "Print the build matrix: one line per kernel to build (tree, branch, build config, "
      "build environment, arch, full defconfig), expanded with KernelCI's rules");
  add_config_options(cmd, o->config);
  cmd->add_option("--tree", o->matrix.tree, "Only build configs of this tree");
  cmd->add_option("--branch", o->matrix.branch, "Only build configs of this branch");
  cmd->add_option("--build-config", o->matrix.build_config, "Only this build config");
  cmd->add_option("--variant", o->matrix.variant, "Only this variant (build environment)");
  cmd->add_option("--arch", o->matrix.arch, "Only this architecture");
  cmd->add_option("--kernel-dir", o->matrix.kernel_dir,
                  "Kernel source tree: add its arch/*/configs/*defconfig as KernelCI does");
  cmd->add_option("--kernel-version", o->matrix.kernel_version,
                  "Kernel version (git describe, or 6.1) for 'kernel' filters and the "
                  "min_version/max_version rules of kbuild jobs");
  cmd->add_option("--format", o->format, "Output format")->check(CLI::IsMember({"text", "json"}));
  cmd->callback([o] {
    pipeline::PipelineConfig config =
        pipeline::load_pipeline_config(o->config.files, o->config.tree_urls);
    pipeline::Matrix matrix = pipeline::expand_build_matrix(config, o->matrix);
    std::string out =
        o->format == "json" ? matrix_json(matrix.entries) : matrix_text(matrix.entries);
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fprintf(stderr, "%zu builds\n", matrix.entries.size());
    if (matrix.duplicates) {
      std::fprintf(stderr, "%zu kbuild job builds left out: the same build is listed already\n",
                   matrix.duplicates);
    }
    if (!matrix.needs_version.empty()) {
      std::string jobs;
      for (const auto& [build_config, job] : matrix.needs_version) {
        jobs += (jobs.empty() ? "" : ", ") + build_config + ":" + job;
      }
      std::fprintf(stderr,
                   "%zu kbuild jobs left out: their min_version/max_version rules need the "
                   "kernel version (--kernel-version): %s\n",
                   matrix.needs_version.size(), jobs.c_str());
    }
  });
}

void add_fragment(CLI::App* config_cmd) {
  struct Options {
    ConfigOptions config;
    std::string name;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = config_cmd->add_subcommand(
      "fragment", "Print the config lines of a fragment, as written to its .config file");
  add_config_options(cmd, o->config);
  cmd->add_option("name", o->name, "Fragment name")->required();
  cmd->callback([o] {
    pipeline::PipelineConfig config =
        pipeline::load_pipeline_config(o->config.files, o->config.tree_urls);
    for (const std::string& line : config.fragment_configs(o->name)) {
      std::printf("%s\n", line.c_str());
    }
  });
}

void register_config_commands(CLI::App& root, RunContext&) {
  auto* cmd = root.add_subcommand(
      "config", "Read the pipeline configuration (KernelCI build-configs / pipeline YAML)");
  cmd->require_subcommand(1);
  add_matrix(cmd);
  add_fragment(cmd);
}

}  // namespace

KCI_COMMAND(40, register_config_commands);

}  // namespace kci::cli
