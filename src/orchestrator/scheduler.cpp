// SPDX-License-Identifier: LGPL-2.1-or-later
#include "orchestrator/scheduler.h"

#include <set>

#include "orchestrator/platforms.h"
#include "pipeline/config/config.h"
#include "pipeline/config/matrix.h"

namespace kci::orchestrator {

Scheduler::Scheduler(const pipeline::PipelineConfig& config, NodeStore& nodes,
                     SchedulerOptions options)
    : config_(config), nodes_(nodes), options_(std::move(options)) {}

std::vector<NewNode> Scheduler::children_of(const Node& node) {
  if (node.kind == NodeKind::kCheckout && node.state == NodeState::kAvailable) {
    return kbuilds_of(node);
  }
  if (node.kind == NodeKind::kKbuild && node.state == NodeState::kDone &&
      node.result == NodeResult::kPass) {
    return jobs_of(node);
  }
  return {};
}

std::vector<NewNode> Scheduler::kbuilds_of(const Node& checkout) {
  pipeline::MatrixOptions mo;
  mo.tree = checkout.get("tree");
  mo.branch = checkout.get("branch");
  if (!checkout.get("describe").empty()) mo.kernel_version = checkout.get("describe");
  pipeline::Matrix matrix = pipeline::expand_build_matrix(config_, mo);
  std::vector<NewNode> out;
  std::set<std::string> names;
  for (const pipeline::MatrixEntry& e : matrix.entries) {
    NewNode n;
    n.kind = NodeKind::kKbuild;
    n.parent = checkout.id;
    n.state = NodeState::kAvailable;
    n.timeout_seconds = options_.kbuild_timeout_seconds;
    std::string toolchain = e.cc_version.empty() ? e.cc : e.cc + "-" + e.cc_version;
    // KernelCI names a kbuild node after its job; builds of build_configs
    // variants get a name of their own.
    n.name = !e.job.empty()
                 ? e.job
                 : "kbuild-" + e.build_config + "-" + e.arch + "-" + toolchain + "-" + e.defconfig;
    if (!names.insert(n.name).second) n.name += "-" + e.arch + "-" + e.defconfig;
    n.data = checkout.data;  // tree, branch, commit, describe, source_dir, ...
    n.data.erase("reason");
    n.data["arch"] = e.arch;
    n.data["defconfig"] = e.defconfig;
    n.data["toolchain"] = toolchain;
    n.data["build_config"] = e.build_config;
    n.data["variant"] = e.variant;
    if (!e.job.empty()) n.data["job"] = e.job;
    if (!e.cross_compile.empty()) n.data["cross_compile"] = e.cross_compile;
    if (!e.tree_url.empty() && n.data.count("url") == 0) n.data["url"] = e.tree_url;
    out.push_back(std::move(n));
  }
  return out;
}

std::vector<NewNode> Scheduler::jobs_of(const Node& kbuild) {
  std::map<std::string, std::string> event = {{"channel", "node"},
                                              {"kind", "kbuild"},
                                              {"name", kbuild.name},
                                              {"state", "done"},
                                              {"result", "pass"}};
  pipeline::RuleSubject subject;
  subject.tree = kbuild.get("tree");
  subject.branch = kbuild.get("branch");
  subject.version = pipeline::parse_kernel_version(kbuild.get("describe"));
  subject.values["arch"] = kbuild.get("arch");
  subject.values["defconfig"] = kbuild.get("defconfig");
  std::vector<NewNode> out;
  for (const pipeline::SchedulerEntry& entry : config_.scheduler()) {
    if (!pipeline::event_matches(entry, event)) continue;
    auto job = config_.jobs().find(entry.job);
    if (job == config_.jobs().end() || job->second.kind == "kbuild") continue;
    if (pipeline::check_rules(entry.rules, subject) != pipeline::RuleVerdict::kAllow) continue;
    if (pipeline::check_rules(job->second.rules, subject) != pipeline::RuleVerdict::kAllow) {
      continue;
    }
    std::vector<std::string> platforms = entry.platforms;
    if (platforms.empty()) platforms.push_back("qemu-" + kbuild.get("arch"));
    for (const std::string& platform : platforms) {
      std::string arch = platform_arch(platform);
      if (!arch.empty() && !same_arch(arch, kbuild.get("arch"))) continue;
      NewNode n;
      n.kind = NodeKind::kJob;
      n.parent = kbuild.id;
      n.name = entry.job + "@" + platform;
      n.state = NodeState::kAvailable;
      n.timeout_seconds = options_.job_timeout_seconds;
      for (const char* key : {"tree", "branch", "commit", "describe", "arch", "defconfig",
                              "toolchain", "artifact_dir", "artifact_url", "build_id"}) {
        if (kbuild.data.count(key)) n.data[key] = kbuild.get(key);
      }
      n.data["job"] = entry.job;
      n.data["platform"] = platform;
      n.data["plan"] = plan_of_job(entry.job);
      n.data["runtime"] = entry.runtime_name.empty() ? entry.runtime_type : entry.runtime_name;
      n.data["boot_timeout"] = std::to_string(options_.boot_timeout_seconds);
      out.push_back(std::move(n));
    }
  }
  return out;
}

ScheduleStats Scheduler::step(std::size_t batch) {
  ScheduleStats stats;
  for (;;) {
    std::size_t handled = nodes_.sql().transaction([&] {
      nodes_.serialize_appends();
      std::int64_t cursor = nodes_.cursor(options_.service);
      std::vector<NodeEvent> events = nodes_.events_after(cursor, batch);
      for (const NodeEvent& e : events) {
        ++stats.events;
        // Only the transitions that schedule something need the node.
        bool interesting = (e.kind == NodeKind::kCheckout && e.state == NodeState::kAvailable) ||
                           (e.kind == NodeKind::kKbuild && e.state == NodeState::kDone &&
                            e.result == NodeResult::kPass);
        if (!interesting) continue;
        std::optional<Node> node = nodes_.get(e.node_id);
        if (!node) continue;
        // The event says which state was entered; the node may have moved
        // on since (children are made from the data, which stays).
        node->state = e.state;
        node->result = e.result;
        for (const NewNode& child : children_of(*node)) {
          auto [id, created] = nodes_.create(child);
          if (created) {
            ++stats.created;
            if (options_.progress) {
              options_.progress("scheduled " + std::string(kind_name(child.kind)) + " " +
                                std::to_string(id) + " " + child.name);
            }
          } else {
            ++stats.existing;
          }
        }
      }
      if (!events.empty()) nodes_.set_cursor(options_.service, events.back().seq);
      return events.size();
    });
    if (handled < batch) break;
  }
  return stats;
}

std::pair<std::int64_t, bool> submit_checkout(NodeStore& nodes, const std::string& tree,
                                              const std::string& branch, const std::string& commit,
                                              std::map<std::string, std::string> data) {
  NewNode n;
  n.kind = NodeKind::kCheckout;
  n.name = tree + "/" + branch + "@" + commit;
  n.state = NodeState::kAvailable;
  n.data = std::move(data);
  n.data["tree"] = tree;
  n.data["branch"] = branch;
  n.data["commit"] = commit;
  return nodes.create(n);
}

}  // namespace kci::orchestrator
