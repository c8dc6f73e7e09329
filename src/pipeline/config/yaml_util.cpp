// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/config/yaml_util.h"

#include <set>
#include <string>
#include <utility>

#include "util/file.h"

namespace kci::pipeline {

namespace {

bool is_merge_key(const YAML::Node& key) {
  // A quoted "<<" (tag "!") is a plain string key, not a merge key.
  return key.IsScalar() && key.Scalar() == "<<" && key.Tag() != "!";
}

struct MergeResolver {
  const std::string& source;
  std::size_t max_depth;

  void resolve(YAML::Node node, std::size_t depth) {
    if (depth > max_depth) {
      yaml_fail(source, node,
                "nesting deeper than " + std::to_string(max_depth) + " levels (an alias cycle?)");
    }
    if (node.IsSequence()) {
      for (YAML::Node child : node) resolve(child, depth + 1);
      return;
    }
    if (!node.IsMap()) return;
    // Collect first: the map is modified below.
    std::vector<std::pair<YAML::Node, YAML::Node>> entries;
    for (auto it = node.begin(); it != node.end(); ++it)
      entries.emplace_back(it->first, it->second);
    std::vector<std::pair<YAML::Node, YAML::Node>> merges;
    // YAML forbids two equal keys in a mapping; a parser that keeps one of
    // them silently (yaml-cpp, PyYAML) would make a tree or a build config
    // written twice mean whichever one it kept.
    std::set<std::string> keys;
    for (auto& [key, value] : entries) {
      if (key.IsScalar() && !is_merge_key(key) && !keys.insert(key.Scalar()).second) {
        yaml_fail(source, key, "duplicate key '" + key.Scalar() + "'");
      }
      resolve(value, depth + 1);
      if (is_merge_key(key)) merges.emplace_back(key, value);
    }
    for (auto& [key, value] : merges) {
      std::vector<YAML::Node> sources;
      if (value.IsMap()) {
        sources.push_back(value);
      } else if (value.IsSequence()) {
        for (YAML::Node item : value) {
          if (!item.IsMap())
            yaml_fail(source, item, "a merge key (<<) list may hold only mappings");
          sources.push_back(item);
        }
      } else {
        yaml_fail(source, value, "a merge key (<<) needs a mapping or a list of mappings");
      }
      node.remove(key);
      // Keys already present win, then earlier sources over later ones.
      for (const YAML::Node& from : sources) {
        for (auto it = from.begin(); it != from.end(); ++it) {
          const YAML::Node& target = node;
          if (it->first.IsScalar() && target[it->first.Scalar()].IsDefined()) continue;
          node.force_insert(it->first, it->second);
        }
      }
    }
  }
};

}  // namespace

std::string yaml_where(const std::string& source, const YAML::Node& node) {
  YAML::Mark mark = node.IsDefined() ? node.Mark() : YAML::Mark::null_mark();
  if (mark.is_null()) return source;
  return source + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

void yaml_fail(const std::string& source, const YAML::Node& node, const std::string& what) {
  throw ConfigError(yaml_where(source, node) + ": " + what);
}

void resolve_merge_keys(YAML::Node root, const std::string& source, std::size_t max_depth) {
  MergeResolver resolver{source, max_depth};
  resolver.resolve(std::move(root), 0);
}

YAML::Node load_yaml_string(const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    std::string where = source;
    if (!e.mark.is_null()) {
      where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    }
    throw ConfigError(where + ": " + e.msg);
  }
  resolve_merge_keys(root, source);
  return root;
}

YAML::Node load_yaml_file(const std::string& path) {
  return load_yaml_string(read_input_file(path), path);
}

std::string yaml_string(const YAML::Node& map, const char* key, const std::string& source,
                        const std::string& fallback) {
  if (!map.IsDefined() || !map.IsMap()) return fallback;
  YAML::Node value = map[key];
  if (!value.IsDefined() || value.IsNull()) return fallback;
  if (!value.IsScalar()) yaml_fail(source, value, std::string("'") + key + "' must be a string");
  return value.Scalar();
}

std::vector<std::string> yaml_string_list(const YAML::Node& map, const char* key,
                                          const std::string& source) {
  std::vector<std::string> out;
  if (!map.IsDefined() || !map.IsMap()) return out;
  YAML::Node value = map[key];
  if (!value.IsDefined() || value.IsNull()) return out;
  if (value.IsScalar()) return {value.Scalar()};
  if (!value.IsSequence()) {
    yaml_fail(source, value, std::string("'") + key + "' must be a list of strings");
  }
  for (const YAML::Node& item : value) {
    if (!item.IsScalar())
      yaml_fail(source, item, std::string("'") + key + "' items must be strings");
    out.push_back(item.Scalar());
  }
  return out;
}

}  // namespace kci::pipeline
