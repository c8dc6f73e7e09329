// SPDX-License-Identifier: LGPL-2.1-or-later
// The newer KernelCI pipeline's jobs, runtimes and scheduler entries
// (kernelci-pipeline config/jobs.yaml, pipeline.yaml, scheduler.yaml), and
// the rules that decide whether a job runs, as kernelci-core's
// APIHelper.should_create_node evaluates them (kernelci/api/helper.py):
//
//   rules:
//     tree: [mainline, '!cip', 'next:master', '!stable:linux-4.19.y']
//     branch: [master, '!for-kernelci']
//     arch: [arm64]            # also defconfig, fragments: allow / !deny
//     min_version: {version: 6, patchlevel: 1}
//     max_version: {version: 6, patchlevel: 6}
//
// kci uses them to turn `kind: kbuild` jobs into builds (matrix.h).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

// yaml-cpp is included by the .cpp files only (it is a heavy header).
namespace YAML {
class Node;
}  // namespace YAML

namespace kci::pipeline {

// A kernel's VERSION and PATCHLEVEL (6.1), what version rules compare.
struct KernelVersion {
  int version = 0;
  int patchlevel = 0;
  auto operator<=>(const KernelVersion&) const = default;
};

// "6.1", "v6.1", "6.1.12", "v6.1-rc3-12-gabcdef" (git describe) -> 6.1;
// nullopt when the text does not start with [v]NUMBER.NUMBER.
std::optional<KernelVersion> parse_kernel_version(const std::string& text);

struct Rules {
  // Key -> entries as written: "value" allows, "!value" denies; for tree
  // and branch also "tree:branch" and "!tree:branch". In the file's order.
  std::vector<std::pair<std::string, std::vector<std::string>>> lists;
  std::optional<KernelVersion> min_version;
  std::optional<KernelVersion> max_version;
  bool empty() const { return lists.empty() && !min_version && !max_version; }
};

// What rules are checked against: the fields KernelCI finds in the node
// being created or its parent. A field left unset is not there, and then a
// rule on it allows anything (as in KernelCI).
struct RuleSubject {
  std::optional<std::string> tree;
  std::optional<std::string> branch;
  std::optional<KernelVersion> version;
  std::map<std::string, std::string> values;              // arch, defconfig, ...
  std::map<std::string, std::vector<std::string>> lists;  // fragments
};

enum class RuleVerdict { kAllow, kDeny, kNeedsVersion };

// should_create_node: tree/branch first, then the other keys in order.
//  - tree, branch: an allowed "tree:branch" combination matching the subject
//    accepts at once (the remaining tree/branch rules are skipped); a denied
//    one rejects; then the value must not be denied, and when the list has
//    allowed values it must be one of them (a list of only combinations
//    that did not match rejects).
//  - a single value (arch, defconfig): not denied, and one of the allowed
//    values if there are any;
//  - a list (fragments): no item denied, and at least one item allowed if
//    there are allowed values;
//  - min_version / max_version: inclusive bounds on version.patchlevel.
// kNeedsVersion: a version rule could not be checked because the subject
// has no version (KernelCI would fail on the missing field); every other
// rule allowed.
RuleVerdict check_rules(const Rules& rules, const RuleSubject& subject);

// The parameters of a kbuild job that make a build.
struct KbuildParams {
  std::string arch;
  std::string compiler;  // "gcc-14", "clang-21"
  std::string cross_compile;
  std::vector<std::string> defconfig;  // a list is one "+"-joined defconfig
  std::vector<std::string> fragments;  // names or inline CONFIG_X=y
};

struct Job {
  std::string name;
  std::string kind;     // kbuild, job, process, test
  KbuildParams params;  // read for kind kbuild only
  Rules rules;
};

struct RuntimeConfig {
  std::string name;
  std::string lab_type;  // kubernetes, lava, docker, shell
  Rules rules;
};

// One entry of the `scheduler` list: run `job` on `runtime` when an event
// has every field of `event` (its channel included).
struct SchedulerEntry {
  std::string job;
  std::map<std::string, std::string> event;
  std::string runtime_name;
  std::string runtime_type;
  std::vector<std::string> platforms;
  Rules rules;
};

// KernelCI's event match (kernelci/scheduler.py get_configs): the entry's
// channel is the event's, and every other field of the entry's event is in
// the event with the same value.
bool event_matches(const SchedulerEntry& entry, const std::map<std::string, std::string>& event);

// The event of a new checkout: {channel: node, kind: checkout,
// state: available, name: checkout}.
const std::map<std::string, std::string>& checkout_event();

// Parsers (source names the file in errors, which say file:line:column).
Rules parse_rules(const YAML::Node& node, const std::string& source);
Job parse_job(const std::string& name, const YAML::Node& node, const std::string& source);
RuntimeConfig parse_runtime(const std::string& name, const YAML::Node& node,
                            const std::string& source);
SchedulerEntry parse_scheduler_entry(const YAML::Node& node, const std::string& source);

}  // namespace kci::pipeline
