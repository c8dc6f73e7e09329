// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/config/matrix.h"

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

namespace {

bool selected(const BuildConfig& build_config, const MatrixOptions& options) {
  return (!options.build_config || build_config.name == *options.build_config) &&
         (!options.tree || build_config.tree == *options.tree) &&
         (!options.branch || build_config.branch == *options.branch);
}

// Every rule must allow; a version rule that cannot be checked weighs
// less than a refusal.
RuleVerdict all_of_verdicts(RuleVerdict a, RuleVerdict b) {
  if (a == RuleVerdict::kDeny || b == RuleVerdict::kDeny) return RuleVerdict::kDeny;
  if (a == RuleVerdict::kNeedsVersion || b == RuleVerdict::kNeedsVersion) {
    return RuleVerdict::kNeedsVersion;
  }
  return RuleVerdict::kAllow;
}

// One way to run the job is enough.
RuleVerdict any_of_verdicts(RuleVerdict a, RuleVerdict b) {
  if (a == RuleVerdict::kAllow || b == RuleVerdict::kAllow) return RuleVerdict::kAllow;
  if (a == RuleVerdict::kNeedsVersion || b == RuleVerdict::kNeedsVersion) {
    return RuleVerdict::kNeedsVersion;
  }
  return RuleVerdict::kDeny;
}

// The runtimes a scheduler entry may run on: the one it names, else every
// runtime of its type (KernelCI picks one of those at random).
std::vector<const RuntimeConfig*> entry_runtimes(const PipelineConfig& config,
                                                 const SchedulerEntry& entry) {
  std::vector<const RuntimeConfig*> out;
  for (const auto& [name, runtime] : config.runtimes()) {
    bool named = !entry.runtime_name.empty() && name == entry.runtime_name;
    bool typed = entry.runtime_name.empty() && !entry.runtime_type.empty() &&
                 runtime.lab_type == entry.runtime_type;
    if (named || typed) out.push_back(&runtime);
  }
  return out;
}

// Whether a checkout of build_config schedules the kbuild job of entry.
RuleVerdict entry_verdict(const PipelineConfig& config, const SchedulerEntry& entry, const Job& job,
                          const RuleSubject& checkout) {
  RuleVerdict on_runtime = RuleVerdict::kDeny;
  for (const RuntimeConfig* runtime : entry_runtimes(config, entry)) {
    on_runtime = any_of_verdicts(on_runtime, check_rules(runtime->rules, checkout));
  }
  return all_of_verdicts(
      all_of_verdicts(check_rules(entry.rules, checkout), check_rules(job.rules, checkout)),
      on_runtime);
}

std::string join_plus(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& part : parts) out += (out.empty() ? "" : "+") + part;
  return out;
}

MatrixEntry kbuild_entry(const PipelineConfig& config, const BuildConfig& build_config,
                         const Job& job) {
  const KbuildParams& p = job.params;
  MatrixEntry entry;
  entry.build_config = build_config.name;
  entry.job = job.name;
  entry.tree = build_config.tree;
  const Tree* tree = config.tree(build_config.tree);
  entry.tree_url = tree ? tree->url : std::string();
  entry.branch = build_config.branch;
  entry.variant = entry.build_environment = p.compiler;
  // The job's compiler is what KernelCI's kbuild runs ("gcc-14": CC=gcc-14),
  // whatever a build environment of that name says.
  std::size_t dash = p.compiler.rfind('-');
  entry.cc = p.compiler.substr(0, dash);
  if (dash != std::string::npos) entry.cc_version = p.compiler.substr(dash + 1);
  entry.arch = p.arch;
  entry.cross_compile = p.cross_compile;
  std::vector<std::string> parts = p.defconfig;
  parts.insert(parts.end(), p.fragments.begin(), p.fragments.end());
  entry.defconfig = join_plus(parts);
  return entry;
}

void add_kbuild_jobs(const PipelineConfig& config, const BuildConfig& build_config,
                     const MatrixOptions& options, Matrix& out) {
  RuleSubject checkout;
  checkout.tree = build_config.tree;
  checkout.branch = build_config.branch;
  if (options.kernel_version) checkout.version = parse_kernel_version(*options.kernel_version);
  std::map<std::string, RuleVerdict> verdicts;  // by job name, so sorted
  for (const SchedulerEntry& entry : config.scheduler()) {
    if (!event_matches(entry, checkout_event())) continue;
    auto found = config.jobs().find(entry.job);
    if (found == config.jobs().end() || found->second.kind != "kbuild") continue;
    const Job& job = found->second;
    if (options.variant && job.params.compiler != *options.variant) continue;
    if (options.arch && job.params.arch != *options.arch) continue;
    const auto& only = build_config.architectures;
    if (!only.empty() && std::find(only.begin(), only.end(), job.params.arch) == only.end()) {
      continue;
    }
    RuleVerdict verdict = entry_verdict(config, entry, job, checkout);
    auto [it, added] = verdicts.emplace(job.name, verdict);
    if (!added) it->second = any_of_verdicts(it->second, verdict);
  }
  for (const auto& [name, verdict] : verdicts) {
    if (verdict == RuleVerdict::kAllow) {
      out.entries.push_back(kbuild_entry(config, build_config, config.jobs().at(name)));
    } else if (verdict == RuleVerdict::kNeedsVersion) {
      out.needs_version.emplace_back(build_config.name, name);
    }
  }
}

// Drops the builds of kbuild jobs (from index first_job on) identical to
// an earlier build; the builds of build_configs are left as they are.
void drop_duplicate_jobs(Matrix& matrix, std::size_t first_job) {
  std::set<std::vector<std::string>> seen;
  std::vector<MatrixEntry> kept;
  for (std::size_t i = 0; i < matrix.entries.size(); ++i) {
    MatrixEntry& e = matrix.entries[i];
    bool added = seen.insert({e.tree, e.branch, e.arch, e.build_environment, e.defconfig}).second;
    if (added || i < first_job) {
      kept.push_back(std::move(e));
    } else {
      ++matrix.duplicates;
    }
  }
  matrix.entries = std::move(kept);
}

}  // namespace

std::vector<MatrixEntry> expand_matrix(const PipelineConfig& config, const MatrixOptions& options) {
  return expand_build_matrix(config, options).entries;
}

Matrix expand_build_matrix(const PipelineConfig& config, const MatrixOptions& options) {
  Matrix matrix;
  std::vector<MatrixEntry>& entries = matrix.entries;
  for (const BuildConfig& build_config : config.build_configs()) {
    if (!selected(build_config, options)) continue;
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
          if (auto found = env.arch_params.find(arch.name); found != env.arch_params.end()) {
            entry.cross_compile = found->second.cross_compile;
          }
          entry.defconfig = defconfig;
          entries.push_back(std::move(entry));
        }
      }
    }
  }
  std::size_t first_job = entries.size();
  for (const BuildConfig& build_config : config.build_configs()) {
    if (selected(build_config, options)) add_kbuild_jobs(config, build_config, options, matrix);
  }
  drop_duplicate_jobs(matrix, first_job);
  return matrix;
}

}  // namespace kci::pipeline
