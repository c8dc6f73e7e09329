// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/source/monitor.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>

#include "pipeline/source/git.h"
#include "util/file.h"

namespace kci::pipeline {

namespace {

namespace fs = std::filesystem;

struct BranchState {
  std::optional<SystemTime> last_poll;
  std::string last_head;
};

using StateMap = std::map<std::string, BranchState>;

std::string state_key(const std::string& tree, const std::string& branch) {
  return tree + "\t" + branch;
}

std::string state_path(const std::string& dir) { return dir + "/monitor-state.json"; }

StateMap read_state(const std::string& dir) {
  StateMap state;
  std::string path = state_path(dir);
  if (!fs::exists(path)) return state;
  std::string text = read_file(path);
  json::Document doc;
  doc.Parse(text.c_str(), text.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("branches") ||
      !doc["branches"].IsObject()) {
    throw InvalidInputError(path + ": not a kci monitor state file");
  }
  for (auto& member : doc["branches"].GetObject()) {
    BranchState branch;
    if (!member.value.IsObject()) continue;
    if (member.value.HasMember("last_poll") && member.value["last_poll"].IsString()) {
      branch.last_poll = parse_rfc3339(json::str(member.value["last_poll"]));
    }
    if (member.value.HasMember("last_head") && member.value["last_head"].IsString()) {
      branch.last_head = json::str(member.value["last_head"]);
    }
    state[std::string(json::str(member.name))] = branch;
  }
  return state;
}

void write_state(const std::string& dir, const StateMap& state) {
  json::Document doc(rapidjson::kObjectType);
  auto& alloc = doc.GetAllocator();
  json::Value branches(rapidjson::kObjectType);
  for (const auto& [key, branch] : state) {
    json::Value entry(rapidjson::kObjectType);
    if (branch.last_poll) {
      entry.AddMember("last_poll", json::Value(format_rfc3339(*branch.last_poll), alloc), alloc);
    }
    if (!branch.last_head.empty()) {
      entry.AddMember("last_head", json::Value(branch.last_head, alloc), alloc);
    }
    branches.AddMember(json::Value(key, alloc), entry, alloc);
  }
  doc.AddMember("branches", branches, alloc);
  write_file_atomic(state_path(dir), json::write(doc, 2) + "\n");
}

// A tree name as a directory name: anything but [A-Za-z0-9._-] becomes _.
std::string safe_name(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) c = '_';
  }
  if (out.empty() || out[0] == '.') out = "_" + out;
  return out;
}

struct Watched {
  std::string tree;
  std::string branch;
  std::optional<std::chrono::seconds> frequency;
};

}  // namespace

MonitorPassResult monitor_pass(const PipelineConfig& config, const MonitorOptions& options,
                               const std::function<void(const report::Checkout&)>& on_checkout,
                               SystemTime now) {
  auto progress = [&](const std::string& line) {
    if (options.progress) options.progress(line);
  };
  // One entry per (tree, branch); several build configs may share one, and
  // then the shortest frequency applies.
  std::vector<Watched> watched;
  for (const BuildConfig& bc : config.build_configs()) {
    if (options.tree && bc.tree != *options.tree) continue;
    if (options.branch && bc.branch != *options.branch) continue;
    auto it = std::find_if(watched.begin(), watched.end(), [&](const Watched& w) {
      return w.tree == bc.tree && w.branch == bc.branch;
    });
    if (it == watched.end()) {
      watched.push_back({bc.tree, bc.branch, bc.frequency});
    } else if (!bc.frequency || (it->frequency && *bc.frequency < *it->frequency)) {
      it->frequency = bc.frequency;
    }
  }

  fs::create_directories(options.state_dir);
  StateMap state = read_state(options.state_dir);
  MonitorPassResult result;
  for (const Watched& w : watched) {
    std::string label = w.tree + "/" + w.branch;
    BranchState& branch_state = state[state_key(w.tree, w.branch)];
    if (w.frequency && branch_state.last_poll && now < *branch_state.last_poll + *w.frequency) {
      ++result.not_due;
      progress(label + ": not due (frequency " + std::to_string(w.frequency->count()) + "s)");
      continue;
    }
    const Tree* tree = config.tree(w.tree);
    try {
      ++result.polled;
      std::optional<std::string> head = git::remote_branch_head(tree->url, w.branch);
      branch_state.last_poll = now;
      if (!head) {
        result.errors.push_back(label + ": no branch '" + w.branch + "' at " + tree->url);
        progress(result.errors.back());
        write_state(options.state_dir, state);
        continue;
      }
      if (*head == branch_state.last_head) {
        progress(label + ": unchanged at " + *head);
        write_state(options.state_dir, state);
        continue;
      }
      progress(label + ": new head " + *head + ", fetching");
      std::string mirror = options.state_dir + "/mirrors/" + safe_name(w.tree) + ".git";
      git::ensure_bare_repository(mirror);
      git::fetch_branch(mirror, tree->url, w.branch, w.branch);
      report::Checkout checkout;
      checkout.id = branch_checkout_id(config.origin(), w.tree, w.branch, *head);
      checkout.origin = config.origin();
      checkout.tree_name = w.tree;
      set_repository_url(checkout, tree->url);
      checkout.git_repository_branch = w.branch;
      checkout.git_commit_hash = *head;
      checkout.git_commit_name = git::describe(mirror, *head);
      set_commit_message(checkout, git::commit_message(mirror, *head));
      checkout.git_commit_tags = git::tags_pointing_at(mirror, *head);
      checkout.git_repository_branch_tip = true;
      checkout.start_time = format_rfc3339(now);
      branch_state.last_head = *head;
      if (on_checkout) on_checkout(checkout);
      result.checkouts.push_back(std::move(checkout));
      write_state(options.state_dir, state);
    } catch (const Error& e) {
      result.errors.push_back(label + ": " + e.what());
      progress(result.errors.back());
      write_state(options.state_dir, state);
    }
  }
  return result;
}

}  // namespace kci::pipeline
