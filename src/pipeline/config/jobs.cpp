// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/config/jobs.h"

#include <algorithm>
#include <cctype>

#include "pipeline/config/yaml_util.h"

namespace kci::pipeline {

namespace {

bool present(const YAML::Node& node) { return node.IsDefined() && !node.IsNull(); }

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// A rule list split as kernelci-core's _extract_combos does.
struct SplitRule {
  std::vector<std::string> allow, deny;
  std::vector<std::pair<std::string, std::string>> allow_combos, deny_combos;  // tree, branch
};

SplitRule split_rule(const std::vector<std::string>& entries, bool combos) {
  SplitRule out;
  for (const std::string& entry : entries) {
    std::size_t start = entry.find_first_not_of('!');  // Python's lstrip('!')
    bool denied = start != 0;
    std::string value = start == std::string::npos ? std::string() : entry.substr(start);
    std::size_t colon = combos ? value.find(':') : std::string::npos;
    if (colon != std::string::npos) {
      auto& list = denied ? out.deny_combos : out.allow_combos;
      list.emplace_back(value.substr(0, colon), value.substr(colon + 1));
    } else {
      (denied ? out.deny : out.allow).push_back(value);
    }
  }
  return out;
}

bool tree_branch_allowed(const Rules& rules, const std::string& tree, const std::string& branch) {
  auto matches = [&](const std::vector<std::pair<std::string, std::string>>& combos) {
    return std::find(combos.begin(), combos.end(), std::make_pair(tree, branch)) != combos.end();
  };
  for (const char* key : {"tree", "branch"}) {
    auto it = std::find_if(rules.lists.begin(), rules.lists.end(),
                           [&](const auto& entry) { return entry.first == key; });
    if (it == rules.lists.end()) continue;
    SplitRule split = split_rule(it->second, true);
    // An allowed combination settles tree and branch both (KernelCI breaks
    // out of its loop over the two keys).
    if (matches(split.allow_combos)) return true;
    if (matches(split.deny_combos)) return false;
    const std::string& value = std::string(key) == "tree" ? tree : branch;
    if (contains(split.deny, value)) return false;
    if (split.allow.empty() && !split.allow_combos.empty()) return false;
    if (!split.allow.empty() && !contains(split.allow, value)) return false;
  }
  return true;
}

bool value_allowed(const std::vector<std::string>& entries, const RuleSubject& subject,
                   const std::string& key) {
  SplitRule split = split_rule(entries, false);
  if (auto list = subject.lists.find(key); list != subject.lists.end()) {
    bool found = split.allow.empty();
    for (const std::string& item : list->second) {
      if (contains(split.deny, item)) return false;
      if (contains(split.allow, item)) found = true;
    }
    return found;
  }
  if (auto value = subject.values.find(key); value != subject.values.end()) {
    if (contains(split.deny, value->second)) return false;
    return split.allow.empty() || contains(split.allow, value->second);
  }
  return true;  // the subject has no such field: nothing to check
}

KernelVersion parse_version_bound(const YAML::Node& node, const std::string& source) {
  auto number = [&](const char* key) {
    YAML::Node value = node[key];
    if (!present(value) || !value.IsScalar())
      yaml_fail(source, node, std::string("a version rule needs an integer '") + key + "'");
    try {
      return value.as<int>();
    } catch (const YAML::Exception&) {
      yaml_fail(source, value, std::string("'") + key + "' must be an integer");
    }
  };
  if (!node.IsMap()) yaml_fail(source, node, "a version rule must be {version: N, patchlevel: N}");
  return KernelVersion{number("version"), number("patchlevel")};
}

}  // namespace

std::optional<KernelVersion> parse_kernel_version(const std::string& text) {
  std::size_t i = !text.empty() && text[0] == 'v' ? 1 : 0;
  auto number = [&]() -> std::optional<int> {
    std::size_t start = i;
    int value = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && i - start < 6) {
      value = value * 10 + (text[i++] - '0');
    }
    if (i == start) return std::nullopt;
    return value;
  };
  std::optional<int> version = number();
  if (!version || i >= text.size() || text[i] != '.') return std::nullopt;
  ++i;
  std::optional<int> patchlevel = number();
  if (!patchlevel) return std::nullopt;
  return KernelVersion{*version, *patchlevel};
}

RuleVerdict check_rules(const Rules& rules, const RuleSubject& subject) {
  if (subject.tree && !tree_branch_allowed(rules, *subject.tree, subject.branch.value_or(""))) {
    return RuleVerdict::kDeny;
  }
  for (const auto& [key, entries] : rules.lists) {
    if (key == "tree" || key == "branch") continue;
    if (!value_allowed(entries, subject, key)) return RuleVerdict::kDeny;
  }
  if (!rules.min_version && !rules.max_version) return RuleVerdict::kAllow;
  if (!subject.version) return RuleVerdict::kNeedsVersion;
  if (rules.min_version && *subject.version < *rules.min_version) return RuleVerdict::kDeny;
  if (rules.max_version && *subject.version > *rules.max_version) return RuleVerdict::kDeny;
  return RuleVerdict::kAllow;
}

bool event_matches(const SchedulerEntry& entry, const std::map<std::string, std::string>& event) {
  return std::all_of(entry.event.begin(), entry.event.end(), [&](const auto& field) {
    auto it = event.find(field.first);
    return it != event.end() && it->second == field.second;
  });
}

const std::map<std::string, std::string>& checkout_event() {
  static const std::map<std::string, std::string> event{
      {"channel", "node"}, {"kind", "checkout"}, {"state", "available"}, {"name", "checkout"}};
  return event;
}

Rules parse_rules(const YAML::Node& node, const std::string& source) {
  Rules rules;
  if (!present(node)) return rules;
  if (!node.IsMap()) yaml_fail(source, node, "'rules' must be a mapping");
  for (auto it = node.begin(); it != node.end(); ++it) {
    std::string key = it->first.as<std::string>();
    if (key == "min_version") {
      rules.min_version = parse_version_bound(it->second, source);
    } else if (key == "max_version") {
      rules.max_version = parse_version_bound(it->second, source);
    } else {
      rules.lists.emplace_back(key, yaml_string_list(node, key.c_str(), source));
    }
  }
  return rules;
}

Job parse_job(const std::string& name, const YAML::Node& node, const std::string& source) {
  if (!node.IsMap()) yaml_fail(source, node, "job '" + name + "' must be a mapping");
  Job job;
  job.name = name;
  job.kind = yaml_string(node, "kind", source);
  job.rules = parse_rules(node["rules"], source);
  if (job.kind != "kbuild") return job;
  YAML::Node params = node["params"];
  KbuildParams& p = job.params;
  p.arch = yaml_string(params, "arch", source);
  p.compiler = yaml_string(params, "compiler", source);
  p.cross_compile = yaml_string(params, "cross_compile", source);
  p.defconfig = yaml_string_list(params, "defconfig", source);
  p.fragments = yaml_string_list(params, "fragments", source);
  if (p.arch.empty() || p.compiler.empty() || p.defconfig.empty()) {
    yaml_fail(source, node, "kbuild job '" + name + "' needs params arch, compiler and defconfig");
  }
  return job;
}

RuntimeConfig parse_runtime(const std::string& name, const YAML::Node& node,
                            const std::string& source) {
  if (!node.IsMap()) yaml_fail(source, node, "runtime '" + name + "' must be a mapping");
  return RuntimeConfig{name, yaml_string(node, "lab_type", source),
                       parse_rules(node["rules"], source)};
}

SchedulerEntry parse_scheduler_entry(const YAML::Node& node, const std::string& source) {
  if (!node.IsMap()) yaml_fail(source, node, "a scheduler entry must be a mapping");
  SchedulerEntry entry;
  entry.job = yaml_string(node, "job", source);
  if (entry.job.empty()) yaml_fail(source, node, "a scheduler entry needs a job");
  YAML::Node event = node["event"];
  if (!present(event) || !event.IsMap()) {
    yaml_fail(source, node, "scheduler entry for '" + entry.job + "' needs an event mapping");
  }
  for (auto it = event.begin(); it != event.end(); ++it) {
    if (!it->second.IsScalar()) yaml_fail(source, it->second, "event fields must be scalars");
    entry.event[it->first.as<std::string>()] = it->second.Scalar();
  }
  YAML::Node runtime = node["runtime"];
  entry.runtime_name = yaml_string(runtime, "name", source);
  entry.runtime_type = yaml_string(runtime, "type", source);
  entry.platforms = yaml_string_list(node, "platforms", source);
  entry.rules = parse_rules(node["rules"], source);
  return entry;
}

}  // namespace kci::pipeline
