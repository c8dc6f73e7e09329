// SPDX-License-Identifier: LGPL-2.1-or-later
// The pipeline configuration: kernel trees to follow, config fragments,
// build environments (compilers) and build configs, read from KernelCI's
// own YAML formats:
//  - legacy kernelci-core build-configs.yaml (trees, fragments,
//    build_environments, build_configs_defaults, build_configs);
//  - the newer kernelci-pipeline files (the same sections, with the
//    defaults under build_variants, build configs that may only name a tree
//    and branch, and split over many files);
//  - the newer pipeline's jobs, runtimes and scheduler (jobs.h);
//  - kci's own additions in a "kci:" section (see docs/pipeline-config.md).
// Several files are merged section by section; a later entry of the same
// name replaces an earlier one.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/config/config_error.h"
#include "pipeline/config/jobs.h"

namespace kci::pipeline {

struct Tree {
  std::string name;
  std::string url;
};

// A kernel config fragment: configs lines written to `path` before the
// build, or (defconfig set) a make target used instead, as "tinyconfig" is.
struct Fragment {
  std::string name;
  std::string path;
  std::vector<std::string> configs;
  std::string defconfig;
};

// What a build environment sets for one architecture.
struct ArchParams {
  std::string name;  // the compiler's arch name ("x86" for x86_64), if different
  std::string cross_compile;
  std::string cross_compile_compat;
  std::map<std::string, std::string> opts;  // extra make variables
};

struct BuildEnvironment {
  std::string name;
  std::string cc;          // "gcc" or "clang"
  std::string cc_version;  // "12"
  std::map<std::string, ArchParams> arch_params;
};

// One filter of KernelCI's filter list (kernelci/config/base.py).
struct Filter {
  enum class Kind { kPasslist, kBlocklist, kRegex, kCombination };
  Kind kind = Kind::kPasslist;
  // passlist / blocklist: key -> substrings; regex: key -> one pattern.
  std::map<std::string, std::vector<std::string>> items;
  // combination: keys and the accepted value tuples.
  std::vector<std::string> keys;
  std::vector<std::vector<std::string>> values;
};

struct Architecture {
  std::string name;
  std::string base_defconfig = "defconfig";
  std::vector<std::string> extra_configs;
  std::vector<std::string> fragments;  // fragment names
  std::vector<Filter> filters;
  // "file:line:column" of each fragment name, for the error of an unknown one.
  std::vector<std::string> fragment_wheres;
};

// A build config's variant: one build environment and its architectures.
struct BuildVariant {
  std::string name;
  std::string build_environment;
  std::vector<std::string> fragments;  // fragment names built on every arch
  std::vector<Architecture> architectures;
  // "file:line:column" of the build_environment and of each fragment name.
  std::string build_environment_where;
  std::vector<std::string> fragment_wheres;
};

struct BuildConfig {
  std::string name;
  std::string tree;
  std::string branch;
  std::vector<BuildVariant> variants;
  // Newer pipeline: restricts the architectures built (empty = all).
  std::vector<std::string> architectures;
  // Minimum time between two polls of the branch by kci monitor.
  std::optional<std::chrono::seconds> frequency;
  std::string tree_where;  // "file:line:column" of the tree name
};

// Where a series from a mailing list may apply (kci inbox): the first
// target whose subject prefixes match, else whose files match, else whose
// repository has the series' base-commit, else one without criteria.
struct ListTarget {
  std::string tree;    // a tree of "trees:"
  std::string branch;  // its head is the base when the series names none
  std::string repo;    // local git work tree to apply in (default: the tree's url if local)
  std::vector<std::string> prefixes;  // subject tag words: "net-next" for [PATCH net-next]
  std::vector<std::string> files;     // path prefixes the series touches: "net/"
  bool base_commit = false;           // take series whose base-commit repo has
  std::string tree_where;             // "file:line:column" of the tree name
};

// A mailing list followed through its public-inbox archive ("lists:").
struct MailingList {
  std::string name;
  std::string archive;                            // path of a public-inbox archive (v1 or v2)
  std::optional<std::chrono::seconds> frequency;  // minimum time between two polls
  std::chrono::seconds timeout{6 * 3600};         // how long a series may wait for a missing part
  std::vector<ListTarget> targets;
};

class PipelineConfig {
 public:
  // Loads and merges files; a directory stands for every *.yaml / *.yml
  // file below it, in path order. Throws ConfigError / FileError.
  static PipelineConfig load(const std::vector<std::string>& paths);
  // Adds one YAML document (already parsed, merge keys resolved).
  void add_document(const YAML::Node& root, const std::string& source);
  // Resolves every build config's default variants and checks references
  // (tree, build environment and fragment names; an unknown one is a
  // ConfigError naming the file:line:column of the reference). Called by
  // load(); call it after add_document() when building a config by hand.
  void finish();

  const std::map<std::string, Tree>& trees() const { return trees_; }
  const std::map<std::string, Fragment>& fragments() const { return fragments_; }
  const std::map<std::string, BuildEnvironment>& build_environments() const {
    return build_environments_;
  }
  // In the order of the files (a later redefinition keeps its first place).
  const std::vector<BuildConfig>& build_configs() const { return build_configs_; }
  const BuildConfig* build_config(const std::string& name) const;
  // Newer pipeline: jobs (every kind), runtimes and the scheduler entries,
  // in the order of the files (see jobs.h).
  const std::map<std::string, Job>& jobs() const { return jobs_; }
  const std::map<std::string, RuntimeConfig>& runtimes() const { return runtimes_; }
  const std::vector<SchedulerEntry>& scheduler() const { return scheduler_; }
  const Tree* tree(const std::string& name) const;
  // Mailing lists followed by kci inbox, by name.
  const std::map<std::string, MailingList>& lists() const { return lists_; }
  const Fragment* fragment(const std::string& name) const;

  // The config lines of a fragment, as they go into its .config fragment
  // file, for kci build's "DEFCONFIG+FRAGMENT" syntax. Throws ConfigError
  // naming the known fragments if there is no such fragment.
  std::vector<std::string> fragment_configs(const std::string& name) const;

  // Replaces a tree's URL (command-line override); throws ConfigError for
  // an unknown tree.
  void set_tree_url(const std::string& tree, const std::string& url);

  // kci's own settings ("kci:" section).
  const std::string& origin() const { return origin_; }

 private:
  void add_build_config(const std::string& name, const YAML::Node& node, const std::string& source);

  std::map<std::string, Tree> trees_;
  std::map<std::string, MailingList> lists_;
  std::map<std::string, Fragment> fragments_;
  std::map<std::string, BuildEnvironment> build_environments_;
  std::vector<BuildConfig> build_configs_;
  std::map<std::string, Job> jobs_;
  std::map<std::string, RuntimeConfig> runtimes_;
  std::vector<SchedulerEntry> scheduler_;
  // Build configs without variants take these (build_configs_defaults or
  // build_variants "variants:").
  std::vector<BuildVariant> default_variants_;
  std::vector<std::string> configs_without_variants_;
  std::string origin_ = "kci";
};

// Loads the configuration a command names: `paths`, or when empty
// $KCI_CONFIG, else config/kci.yaml; then applies "NAME=URL" tree URL
// overrides (--tree-url). Throws ConfigError / FileError / UsageError.
PipelineConfig load_pipeline_config(const std::vector<std::string>& paths,
                                    const std::vector<std::string>& tree_url_overrides = {});

// Parses a KernelCI frequency ("30m", "1h", "1d", "2h30m", plain seconds);
// nullopt if malformed.
std::optional<std::chrono::seconds> parse_frequency(const std::string& text);

// Expands ${VAR} and ${VAR:-default} from the environment (tree URLs in
// kci's own config). An unset variable without default expands to "".
std::string expand_env(const std::string& text);

}  // namespace kci::pipeline
