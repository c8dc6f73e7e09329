// SPDX-License-Identifier: LGPL-2.1-or-later
// Loading YAML the way KernelCI's Python (PyYAML safe_load) sees it.
// yaml-cpp 0.7 resolves anchors and aliases but keeps YAML 1.1 merge keys
// ("<<: *anchor", "<<: [*a, *b]") as ordinary "<<" entries, and KernelCI's
// configuration files depend on them everywhere, so they are resolved here.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>
#include <vector>

#include "pipeline/config/config_error.h"
#include "util/error.h"

namespace kci::pipeline {

// "file:line:column" of a node (1-based), or just "file" when yaml-cpp has
// no position for it.
std::string yaml_where(const std::string& source, const YAML::Node& node);

// Throws ConfigError "<where>: <what>".
[[noreturn]] void yaml_fail(const std::string& source, const YAML::Node& node,
                            const std::string& what);

// Resolves every merge key in the tree rooted at root, in place. The keys of
// the mapping itself win over merged ones, and of several merged mappings
// the earlier wins (YAML 1.1 merge type). Aliased nodes are shared by
// yaml-cpp, so resolving one resolves every alias of it. Throws ConfigError
// when "<<" names something that is not a mapping, or when the tree is
// deeper than max_depth (an alias cycle, or an attack).
void resolve_merge_keys(YAML::Node root, const std::string& source, std::size_t max_depth = 200);

// Parses text (named source in messages) and resolves its merge keys.
// Throws ConfigError with file:line:column on a syntax error.
YAML::Node load_yaml_string(const std::string& text, const std::string& source);

// Reads and parses a file; throws FileError / ConfigError.
YAML::Node load_yaml_file(const std::string& path);

// Typed getters with errors that say where. A missing key gives nullopt /
// the fallback; a key of the wrong type is a ConfigError.
std::string yaml_string(const YAML::Node& map, const char* key, const std::string& source,
                        const std::string& fallback = {});
std::vector<std::string> yaml_string_list(const YAML::Node& map, const char* key,
                                          const std::string& source);

}  // namespace kci::pipeline
