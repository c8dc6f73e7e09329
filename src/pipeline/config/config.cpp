// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/config/config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "pipeline/config/yaml_util.h"

namespace kci::pipeline {

namespace {

namespace fs = std::filesystem;

// yaml-cpp throws on type queries of a missing key's node: ask this first.
bool present(const YAML::Node& node) { return node.IsDefined() && !node.IsNull(); }

// The place of each string yaml_string_list(map, key) returns, in the same
// order: references are checked in finish(), after every file is read, and
// an unknown name is reported where it is written.
std::vector<std::string> yaml_list_wheres(const YAML::Node& map, const char* key,
                                          const std::string& source) {
  std::vector<std::string> out;
  if (!map.IsDefined() || !map.IsMap()) return out;
  YAML::Node value = map[key];
  if (!present(value)) return out;
  if (value.IsScalar()) return {yaml_where(source, value)};
  for (const YAML::Node& item : value) out.push_back(yaml_where(source, item));
  return out;
}

// The place of map[key], or of map when the key is absent.
std::string yaml_key_where(const YAML::Node& map, const char* key, const std::string& source) {
  YAML::Node value = map[key];
  return yaml_where(source, present(value) ? value : map);
}

Filter parse_filter(const std::string& type, const YAML::Node& items, const std::string& source) {
  Filter filter;
  // KernelCI renamed whitelist/blacklist; old files still use the old names.
  if (type == "passlist" || type == "whitelist") {
    filter.kind = Filter::Kind::kPasslist;
  } else if (type == "blocklist" || type == "blacklist") {
    filter.kind = Filter::Kind::kBlocklist;
  } else if (type == "regex") {
    filter.kind = Filter::Kind::kRegex;
  } else if (type == "combination") {
    filter.kind = Filter::Kind::kCombination;
    filter.keys = yaml_string_list(items, "keys", source);
    YAML::Node values = items["values"];
    if (!present(values) || !values.IsSequence())
      yaml_fail(source, items, "a combination filter needs a 'values' list");
    for (const YAML::Node& tuple : values) {
      if (!tuple.IsSequence() || tuple.size() != filter.keys.size()) {
        yaml_fail(source, tuple, "each combination value must list one value per key");
      }
      std::vector<std::string> row;
      for (const YAML::Node& v : tuple) row.push_back(v.IsScalar() ? v.Scalar() : std::string());
      filter.values.push_back(std::move(row));
    }
    return filter;
  } else {
    yaml_fail(source, items,
              "unknown filter type '" + type + "' (passlist, blocklist, regex, combination)");
  }
  if (!items.IsMap()) yaml_fail(source, items, "a " + type + " filter needs a mapping of keys");
  for (auto it = items.begin(); it != items.end(); ++it) {
    std::string key = it->first.as<std::string>();
    if (filter.kind == Filter::Kind::kRegex) {
      if (!it->second.IsScalar())
        yaml_fail(source, it->second, "a regex filter takes one pattern per key");
      filter.items[key] = {it->second.Scalar()};
    } else {
      filter.items[key] = yaml_string_list(items, key.c_str(), source);
    }
  }
  return filter;
}

std::vector<Filter> parse_filters(const YAML::Node& node, const std::string& source) {
  std::vector<Filter> filters;
  if (!present(node)) return filters;
  if (!node.IsSequence()) yaml_fail(source, node, "'filters' must be a list");
  for (const YAML::Node& entry : node) {
    if (!entry.IsMap())
      yaml_fail(source, entry, "a filter must be a mapping such as {blocklist: ...}");
    for (auto it = entry.begin(); it != entry.end(); ++it) {
      filters.push_back(parse_filter(it->first.as<std::string>(), it->second, source));
    }
  }
  return filters;
}

Architecture parse_architecture(const std::string& name, const YAML::Node& node,
                                const std::string& source) {
  Architecture arch;
  arch.name = name;
  // An empty entry ("arm64:") means all the defaults, as in KernelCI.
  if (!present(node)) return arch;
  if (!node.IsMap()) yaml_fail(source, node, "architecture '" + name + "' must be a mapping");
  arch.base_defconfig = yaml_string(node, "base_defconfig", source, "defconfig");
  arch.extra_configs = yaml_string_list(node, "extra_configs", source);
  arch.fragments = yaml_string_list(node, "fragments", source);
  arch.fragment_wheres = yaml_list_wheres(node, "fragments", source);
  arch.filters = parse_filters(node["filters"], source);
  return arch;
}

BuildVariant parse_variant(const std::string& name, const YAML::Node& node,
                           const std::string& source) {
  if (!node.IsMap()) yaml_fail(source, node, "variant '" + name + "' must be a mapping");
  BuildVariant variant;
  variant.name = name;
  variant.build_environment = yaml_string(node, "build_environment", source);
  if (variant.build_environment.empty()) {
    yaml_fail(source, node, "variant '" + name + "' has no build_environment");
  }
  variant.build_environment_where = yaml_key_where(node, "build_environment", source);
  variant.fragments = yaml_string_list(node, "fragments", source);
  variant.fragment_wheres = yaml_list_wheres(node, "fragments", source);
  YAML::Node archs = node["architectures"];
  if (present(archs) && archs.IsMap()) {
    for (auto it = archs.begin(); it != archs.end(); ++it) {
      variant.architectures.push_back(
          parse_architecture(it->first.as<std::string>(), it->second, source));
    }
  } else if (present(archs)) {
    yaml_fail(source, archs, "'architectures' of variant '" + name + "' must be a mapping");
  }
  return variant;
}

std::vector<BuildVariant> parse_variants(const YAML::Node& node, const std::string& source) {
  std::vector<BuildVariant> variants;
  if (!node.IsMap()) yaml_fail(source, node, "'variants' must be a mapping");
  for (auto it = node.begin(); it != node.end(); ++it) {
    variants.push_back(parse_variant(it->first.as<std::string>(), it->second, source));
  }
  return variants;
}

template <typename Fn>
void for_each_entry(const YAML::Node& root, const char* section, const std::string& source, Fn fn) {
  if (!present(root)) return;
  if (!root.IsMap()) {
    yaml_fail(source, root,
              std::string("expected a mapping (for '") + section + "'), got a " +
                  (root.IsSequence() ? "list" : "scalar"));
  }
  YAML::Node node = root[section];
  if (!present(node)) return;
  if (!node.IsMap()) yaml_fail(source, node, std::string("'") + section + "' must be a mapping");
  for (auto it = node.begin(); it != node.end(); ++it) {
    fn(it->first.as<std::string>(), it->second);
  }
}

void collect_yaml_files(const std::string& path, std::vector<std::string>& out) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    out.push_back(path);
    return;
  }
  std::vector<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
    std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
      found.push_back(entry.path().string());
    }
  }
  if (ec) throw ConfigError(path + ": " + ec.message());
  std::sort(found.begin(), found.end());
  out.insert(out.end(), found.begin(), found.end());
}

}  // namespace

PipelineConfig PipelineConfig::load(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) collect_yaml_files(path, files);
  PipelineConfig config;
  for (const std::string& file : files) config.add_document(load_yaml_file(file), file);
  config.finish();
  return config;
}

void PipelineConfig::add_document(const YAML::Node& root, const std::string& source) {
  // yaml-cpp throws its own exceptions when a node is not of the kind the
  // code asks for (operator[] on a scalar, as<std::string>() of a mapping
  // key...): every such case is a bad file, reported with its place like the
  // checks below (found by fuzz/pipeline_fuzz: a build environment written
  // as a scalar ended kci with an uncaught YAML::BadSubscript).
  try {
    if (!present(root)) return;
    if (!root.IsMap()) yaml_fail(source, root, "a pipeline configuration must be a mapping");

    for_each_entry(root, "trees", source, [&](const std::string& name, const YAML::Node& node) {
      Tree tree{name, expand_env(yaml_string(node, "url", source))};
      if (tree.url.empty()) yaml_fail(source, node, "tree '" + name + "' has no url");
      trees_[name] = tree;
    });

    for_each_entry(root, "lists", source, [&](const std::string& name, const YAML::Node& node) {
      if (!node.IsMap()) yaml_fail(source, node, "list '" + name + "' must be a mapping");
      MailingList list;
      list.name = name;
      list.archive = expand_env(yaml_string(node, "archive", source));
      if (list.archive.empty()) yaml_fail(source, node, "list '" + name + "' has no archive");
      for (const char* key : {"frequency", "timeout"}) {
        std::string text = yaml_string(node, key, source);
        if (text.empty()) continue;
        std::optional<std::chrono::seconds> value = parse_frequency(text);
        if (!value) yaml_fail(source, node[key], std::string("bad ") + key + " '" + text + "'");
        if (std::string(key) == "frequency") {
          list.frequency = value;
        } else {
          list.timeout = *value;
        }
      }
      YAML::Node targets = node["targets"];
      if (!present(targets) || !targets.IsSequence() || targets.size() == 0) {
        yaml_fail(source, node, "list '" + name + "' needs a 'targets' list");
      }
      for (const YAML::Node& t : targets) {
        if (!t.IsMap()) yaml_fail(source, t, "a target of list '" + name + "' must be a mapping");
        ListTarget target;
        target.tree = yaml_string(t, "tree", source);
        target.branch = yaml_string(t, "branch", source);
        if (target.tree.empty() || target.branch.empty()) {
          yaml_fail(source, t, "a target of list '" + name + "' needs a tree and a branch");
        }
        target.tree_where = yaml_key_where(t, "tree", source);
        target.repo = expand_env(yaml_string(t, "repo", source));
        target.prefixes = yaml_string_list(t, "prefixes", source);
        target.files = yaml_string_list(t, "files", source);
        if (YAML::Node b = t["base_commit"]; present(b)) {
          if (!b.IsScalar() || (b.Scalar() != "true" && b.Scalar() != "false")) {
            yaml_fail(source, b, "base_commit must be true or false");
          }
          target.base_commit = b.Scalar() == "true";
        }
        list.targets.push_back(std::move(target));
      }
      lists_[name] = std::move(list);
    });

    for_each_entry(root, "fragments", source, [&](const std::string& name, const YAML::Node& node) {
      Fragment fragment;
      fragment.name = name;
      fragment.path = yaml_string(node, "path", source, "kernel/configs/" + name + ".config");
      fragment.configs = yaml_string_list(node, "configs", source);
      fragment.defconfig = yaml_string(node, "defconfig", source);
      fragments_[name] = fragment;
    });

    for_each_entry(
        root, "build_environments", source, [&](const std::string& name, const YAML::Node& node) {
          BuildEnvironment env;
          env.name = name;
          env.cc = yaml_string(node, "cc", source);
          env.cc_version = yaml_string(node, "cc_version", source);
          for_each_entry(
              node, "arch_params", source, [&](const std::string& arch, const YAML::Node& params) {
                ArchParams p;
                p.name = yaml_string(params, "name", source);
                p.cross_compile = yaml_string(params, "cross_compile", source);
                p.cross_compile_compat = yaml_string(params, "cross_compile_compat", source);
                for_each_entry(params, "opts", source,
                               [&](const std::string& k, const YAML::Node& v) {
                                 p.opts[k] = v.IsScalar() ? v.Scalar() : "";
                               });
                env.arch_params[arch] = p;
              });
          build_environments_[name] = env;
        });

    // Legacy: build_configs_defaults; newer pipeline: build_variants.
    for (const char* section : {"build_configs_defaults", "build_variants"}) {
      YAML::Node defaults = root[section];
      if (present(defaults) && defaults.IsMap() && present(defaults["variants"])) {
        default_variants_ = parse_variants(defaults["variants"], source);
      }
    }

    for_each_entry(root, "build_configs", source,
                   [&](const std::string& name, const YAML::Node& node) {
                     add_build_config(name, node, source);
                   });

    // Newer pipeline: a later job or runtime of the same name replaces the
    // earlier one; scheduler lists add up.
    for_each_entry(root, "jobs", source, [&](const std::string& name, const YAML::Node& node) {
      jobs_[name] = parse_job(name, node, source);
    });
    for_each_entry(root, "runtimes", source, [&](const std::string& name, const YAML::Node& node) {
      runtimes_[name] = parse_runtime(name, node, source);
    });
    if (YAML::Node scheduler = root["scheduler"]; present(scheduler)) {
      if (!scheduler.IsSequence()) yaml_fail(source, scheduler, "'scheduler' must be a list");
      for (const YAML::Node& entry : scheduler) {
        scheduler_.push_back(parse_scheduler_entry(entry, source));
      }
    }

    YAML::Node kci = root["kci"];
    if (present(kci) && kci.IsMap()) {
      origin_ = yaml_string(kci, "origin", source, origin_);
      bool valid = !origin_.empty() && std::all_of(origin_.begin(), origin_.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      });
      if (!valid) yaml_fail(source, kci["origin"], "origin must match ^[a-z0-9_]+$ (KCIDB)");
    }
  } catch (const YAML::Exception& e) {
    std::string where = source;
    if (!e.mark.is_null()) {
      where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    }
    throw ConfigError(where + ": " + e.msg);
  }
}

void PipelineConfig::add_build_config(const std::string& name, const YAML::Node& node,
                                      const std::string& source) {
  if (!node.IsMap()) yaml_fail(source, node, "build config '" + name + "' must be a mapping");
  BuildConfig config;
  config.name = name;
  config.tree = yaml_string(node, "tree", source);
  config.branch = yaml_string(node, "branch", source);
  if (config.tree.empty() || config.branch.empty()) {
    yaml_fail(source, node, "build config '" + name + "' needs a tree and a branch");
  }
  config.tree_where = yaml_key_where(node, "tree", source);
  bool has_variants = present(node["variants"]);
  if (has_variants) config.variants = parse_variants(node["variants"], source);
  config.architectures = yaml_string_list(node, "architectures", source);
  std::string frequency = yaml_string(node, "frequency", source);
  if (!frequency.empty()) {
    config.frequency = parse_frequency(frequency);
    if (!config.frequency) {
      yaml_fail(source, node["frequency"], "bad frequency '" + frequency + "' (e.g. 30m, 1h, 1d)");
    }
  }
  auto same = [&](const BuildConfig& c) { return c.name == name; };
  auto pending =
      std::find(configs_without_variants_.begin(), configs_without_variants_.end(), name);
  if (pending != configs_without_variants_.end()) configs_without_variants_.erase(pending);
  if (!has_variants) configs_without_variants_.push_back(name);
  auto existing = std::find_if(build_configs_.begin(), build_configs_.end(), same);
  if (existing != build_configs_.end()) {
    *existing = std::move(config);
  } else {
    build_configs_.push_back(std::move(config));
  }
}

void PipelineConfig::finish() {
  for (const std::string& name : configs_without_variants_) {
    for (BuildConfig& config : build_configs_) {
      if (config.name == name) config.variants = default_variants_;
    }
  }
  configs_without_variants_.clear();
  // Every message starts with the place of the reference; the wheres are
  // empty only for a configuration built by hand (no file).
  auto fail = [](const std::string& where, const std::string& what) {
    throw ConfigError(where.empty() ? what : where + ": " + what);
  };
  auto check_fragments = [&](const std::string& what, const std::vector<std::string>& names,
                             const std::vector<std::string>& wheres) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (!fragments_.count(names[i])) {
        fail(i < wheres.size() ? wheres[i] : "", what + ": unknown fragment '" + names[i] + "'");
      }
    }
  };
  for (const auto& [name, list] : lists_) {
    for (const ListTarget& target : list.targets) {
      if (!trees_.count(target.tree)) {
        fail(target.tree_where, "list '" + name + "': unknown tree '" + target.tree + "'");
      }
    }
  }
  for (const BuildConfig& config : build_configs_) {
    std::string what = "build config '" + config.name + "'";
    if (!trees_.count(config.tree)) {
      fail(config.tree_where, what + ": unknown tree '" + config.tree + "'");
    }
    for (const BuildVariant& variant : config.variants) {
      std::string vwhat = what + " variant '" + variant.name + "'";
      if (!build_environments_.count(variant.build_environment)) {
        fail(variant.build_environment_where,
             vwhat + ": unknown build environment '" + variant.build_environment + "'");
      }
      check_fragments(vwhat, variant.fragments, variant.fragment_wheres);
      for (const Architecture& arch : variant.architectures) {
        check_fragments(vwhat + " arch " + arch.name, arch.fragments, arch.fragment_wheres);
      }
    }
  }
}

const BuildConfig* PipelineConfig::build_config(const std::string& name) const {
  for (const BuildConfig& config : build_configs_) {
    if (config.name == name) return &config;
  }
  return nullptr;
}

const Tree* PipelineConfig::tree(const std::string& name) const {
  auto it = trees_.find(name);
  return it == trees_.end() ? nullptr : &it->second;
}

const Fragment* PipelineConfig::fragment(const std::string& name) const {
  auto it = fragments_.find(name);
  return it == fragments_.end() ? nullptr : &it->second;
}

std::vector<std::string> PipelineConfig::fragment_configs(const std::string& name) const {
  const Fragment* found = fragment(name);
  if (!found) {
    std::string known;
    for (const auto& [fname, f] : fragments_) known += (known.empty() ? "" : ", ") + fname;
    throw ConfigError("unknown config fragment '" + name +
                      "' (known: " + (known.empty() ? "none" : known) + ")");
  }
  return found->configs;
}

void PipelineConfig::set_tree_url(const std::string& tree, const std::string& url) {
  auto it = trees_.find(tree);
  if (it == trees_.end()) throw ConfigError("unknown tree '" + tree + "'");
  it->second.url = url;
}

PipelineConfig load_pipeline_config(const std::vector<std::string>& paths,
                                    const std::vector<std::string>& tree_url_overrides) {
  std::vector<std::string> files = paths;
  if (files.empty()) {
    const char* env = std::getenv("KCI_CONFIG");
    files.push_back(env && *env ? env : "config/kci.yaml");
  }
  PipelineConfig config = PipelineConfig::load(files);
  for (const std::string& spec : tree_url_overrides) {
    std::size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError("--tree-url needs NAME=URL, got '" + spec + "'");
    }
    // A name the configuration does not have is a wrong option value, like
    // a malformed one (docs/cli.md: status 2); the option is its place.
    std::string name = spec.substr(0, eq);
    if (config.trees().count(name) == 0) {
      std::string known;
      for (const auto& [tree, t] : config.trees()) known += (known.empty() ? "" : ", ") + tree;
      throw UsageError("--tree-url " + spec + ": unknown tree '" + name +
                       "' (the configuration has: " + (known.empty() ? "none" : known) + ")");
    }
    config.set_tree_url(name, spec.substr(eq + 1));
  }
  return config;
}

std::optional<std::chrono::seconds> parse_frequency(const std::string& text) {
  if (text.empty()) return std::nullopt;
  long long total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    long long value = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      value = value * 10 + (text[i] - '0');
      if (value > 100'000'000) return std::nullopt;
      ++i;
    }
    if (i == start) return std::nullopt;
    long long unit = 1;
    if (i < text.size()) {
      switch (text[i]) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        case 'w': unit = 7 * 86400; break;
        default: return std::nullopt;
      }
      ++i;
    } else if (start != 0) {
      return std::nullopt;  // "1h30" is ambiguous
    }
    total += value * unit;
  }
  return std::chrono::seconds(total);
}

std::string expand_env(const std::string& text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t open = text.find("${", i);
    std::size_t close = open == std::string::npos ? open : text.find('}', open);
    if (close == std::string::npos) {
      out += text.substr(i);
      break;
    }
    out += text.substr(i, open - i);
    std::string expr = text.substr(open + 2, close - open - 2);
    std::string fallback;
    std::size_t dash = expr.find(":-");
    if (dash != std::string::npos) {
      fallback = expr.substr(dash + 2);
      expr.resize(dash);
    }
    const char* value = std::getenv(expr.c_str());
    out += (value && *value) ? std::string(value) : fallback;
    i = close + 1;
  }
  return out;
}

}  // namespace kci::pipeline
