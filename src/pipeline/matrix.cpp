// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/matrix.h"

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>

namespace kci::pipeline {

namespace {

namespace fs = std::filesystem;

bool contains_any(const std::string& value, const std::vector<std::string>& needles) {
  return std::any_of(needles.begin(), needles.end(),
                     [&](const std::string& n) { return value.find(n) != std::string::npos; });
}

// Fragments a variant or arch asks for, split as KernelCI does: fragments
// with their own make target become a defconfig, the others are appended.
void add_fragments(const PipelineConfig& config, const std::vector<std::string>& names,
                   const std::optional<std::string>& kernel_dir, std::set<std::string>& appended,
                   std::set<std::string>& targets) {
  for (const std::string& name : names) {
    const Fragment* fragment = config.fragment(name);
    if (!fragment) continue;  // finish() has already rejected unknown names
    // KernelCI generates fragments that list configs before listing builds;
    // the others must come with the kernel.
    if (kernel_dir && fragment->configs.empty() &&
        !fs::exists(fs::path(*kernel_dir) / fragment->path)) {
      continue;
    }
    if (!fragment->defconfig.empty()) {
      targets.insert(fragment->defconfig);
    } else {
      appended.insert(name);
    }
  }
}

std::set<std::string> kernel_defconfigs(const std::string& kernel_dir, const std::string& arch) {
  std::set<std::string> found;
  std::error_code ec;
  fs::path dir = fs::path(kernel_dir) / "arch" / arch / "configs";
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() >= 9 && name.compare(name.size() - 9, 9, "defconfig") == 0) found.insert(name);
  }
  return found;
}

}  // namespace

bool filter_accepts(const Filter& filter, const std::map<std::string, std::string>& params) {
  switch (filter.kind) {
    case Filter::Kind::kBlocklist:
      for (const auto& [key, value] : params) {
        auto it = filter.items.find(key);
        if (it != filter.items.end() && contains_any(value, it->second)) return false;
      }
      return true;
    case Filter::Kind::kPasslist:
      for (const auto& [key, wanted] : filter.items) {
        auto it = params.find(key);
        if (it == params.end() || it->second.empty() || !contains_any(it->second, wanted)) {
          return false;
        }
      }
      return true;
    case Filter::Kind::kRegex:
      for (const auto& [key, patterns] : filter.items) {
        auto it = params.find(key);
        if (it == params.end() || it->second.empty()) return false;
        for (const std::string& pattern : patterns) {
          std::regex re;
          try {
            re = std::regex(pattern, std::regex::ECMAScript);
          } catch (const std::regex_error& e) {
            throw ConfigError("bad regex filter '" + pattern + "': " + e.what());
          }
          if (!std::regex_search(it->second, re, std::regex_constants::match_continuous)) {
            return false;
          }
        }
      }
      return true;
    case Filter::Kind::kCombination: {
      std::vector<std::string> tuple;
      for (const std::string& key : filter.keys) {
        auto it = params.find(key);
        tuple.push_back(it == params.end() ? std::string() : it->second);
      }
      return std::find(filter.values.begin(), filter.values.end(), tuple) != filter.values.end();
    }
  }
  return false;
}

std::vector<MatrixEntry> expand_matrix(const PipelineConfig& config, const MatrixOptions& options) {
  std::vector<MatrixEntry> entries;
  for (const BuildConfig& build_config : config.build_configs()) {
    if (options.build_config && build_config.name != *options.build_config) continue;
    if (options.tree && build_config.tree != *options.tree) continue;
    if (options.branch && build_config.branch != *options.branch) continue;
    const Tree* tree = config.tree(build_config.tree);
    std::vector<BuildVariant> variants = build_config.variants;
    std::sort(variants.begin(), variants.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    for (const BuildVariant& variant : variants) {
      if (options.variant && variant.name != *options.variant) continue;
      const BuildEnvironment& env = config.build_environments().at(variant.build_environment);
      std::set<std::string> variant_appended, variant_targets;
      add_fragments(config, variant.fragments, options.kernel_dir, variant_appended,
                    variant_targets);
      std::vector<Architecture> archs = variant.architectures;
      std::sort(archs.begin(), archs.end(),
                [](const auto& a, const auto& b) { return a.name < b.name; });
      for (const Architecture& arch : archs) {
        if (options.arch && arch.name != *options.arch) continue;
        const auto& only = build_config.architectures;
        if (!only.empty() && std::find(only.begin(), only.end(), arch.name) == only.end()) continue;
        std::set<std::string> appended = variant_appended;
        std::set<std::string> defconfigs = variant_targets;
        defconfigs.insert(arch.base_defconfig);
        add_fragments(config, arch.fragments, options.kernel_dir, appended, defconfigs);
        for (const std::string& fragment : appended) {
          defconfigs.insert(arch.base_defconfig + "+" + fragment);
        }
        defconfigs.insert(arch.extra_configs.begin(), arch.extra_configs.end());
        if (options.kernel_dir) defconfigs.merge(kernel_defconfigs(*options.kernel_dir, arch.name));

        std::map<std::string, std::string> params{
            {"arch", arch.name},
            {"tree", build_config.tree},
            {"branch", build_config.branch},
            {"build_environment", variant.build_environment},
        };
        if (options.kernel_version) params["kernel"] = *options.kernel_version;
        for (const std::string& defconfig : defconfigs) {
          params["defconfig"] = defconfig;
          bool accepted = std::all_of(arch.filters.begin(), arch.filters.end(),
                                      [&](const Filter& f) { return filter_accepts(f, params); });
          if (!accepted) continue;
          MatrixEntry entry;
          entry.build_config = build_config.name;
          entry.tree = build_config.tree;
          entry.tree_url = tree ? tree->url : std::string();
          entry.branch = build_config.branch;
          entry.variant = variant.name;
          entry.build_environment = variant.build_environment;
          entry.cc = env.cc;
          entry.cc_version = env.cc_version;
          entry.arch = arch.name;
          entry.defconfig = defconfig;
          entries.push_back(std::move(entry));
        }
      }
    }
  }
  return entries;
}

}  // namespace kci::pipeline
