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

constexpr std::size_t kMaxLogExcerpt = 16384;

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

// Text from git (commit messages, git am errors) is not always UTF-8, and a
// report must be: bytes that are not part of a valid UTF-8 sequence become
// U+FFFD. NUL is not allowed in KCIDB text either.
std::string valid_utf8(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char c = byte(i);
    std::size_t length = c < 0x80           ? 1
                         : (c >> 5) == 0x6  ? 2
                         : (c >> 4) == 0xE  ? 3
                         : (c >> 3) == 0x1E ? 4
                                            : 0;
    bool ok =
        length > 0 && i + length <= text.size() && c != 0 && c != 0xC0 && c != 0xC1 && c < 0xF5;
    for (std::size_t k = 1; ok && k < length; ++k) ok = (byte(i + k) & 0xC0) == 0x80;
    if (ok) {
      out.append(text, i, length);
      i += length;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

// KCIDB checks message_id as an e-mail address; a Message-ID that is not
// one goes to misc instead of making the report invalid.
bool looks_like_address(const std::string& text) {
  std::size_t at = text.find('@');
  return at != std::string::npos && at > 0 && at + 1 < text.size() &&
         text.find_first_of(" \t<>\"") == std::string::npos;
}

}  // namespace

json::Value checkout_object(const CheckoutFields& f, json::Allocator& alloc) {
  json::Value obj(rapidjson::kObjectType);
  auto add = [&](const char* key, const std::string& value) {
    obj.AddMember(json::Value(key, alloc), json::Value(value, alloc), alloc);
  };
  auto add_if = [&](const char* key, const std::string& value) {
    if (!value.empty()) add(key, value);
  };
  add("id", f.id);
  add("origin", f.origin);
  add_if("tree_name", f.tree_name);
  json::Value misc(rapidjson::kObjectType);
  if (git::is_https_url(f.repository_url)) {
    add("git_repository_url", f.repository_url);
  } else if (!f.repository_url.empty()) {
    misc.AddMember("git_repository_url", json::Value(f.repository_url, alloc), alloc);
  }
  add_if("git_repository_branch", f.branch);
  add_if("git_commit_hash", f.commit);
  add_if("git_commit_name", f.commit_name);
  if (f.commit_message) add("git_commit_message", valid_utf8(*f.commit_message));
  if (f.commit_tags) {
    json::Value tags(rapidjson::kArrayType);
    for (const std::string& tag : *f.commit_tags) tags.PushBack(json::Value(tag, alloc), alloc);
    obj.AddMember("git_commit_tags", tags, alloc);
  }
  if (f.branch_tip) obj.AddMember("git_repository_branch_tip", *f.branch_tip, alloc);
  if (!f.patchset_files.empty()) {
    json::Value files(rapidjson::kArrayType);
    for (const auto& [name, url] : f.patchset_files) {
      json::Value file(rapidjson::kObjectType);
      file.AddMember("name", json::Value(name, alloc), alloc);
      file.AddMember("url", json::Value(url, alloc), alloc);
      files.PushBack(file, alloc);
    }
    obj.AddMember("patchset_files", files, alloc);
  }
  if (f.patchset_hash) add("patchset_hash", *f.patchset_hash);
  if (looks_like_address(f.message_id)) {
    add("message_id", f.message_id);
  } else if (!f.message_id.empty()) {
    misc.AddMember("message_id", json::Value(valid_utf8(f.message_id), alloc), alloc);
  }
  add_if("start_time", f.start_time);
  if (f.valid) obj.AddMember("valid", *f.valid, alloc);
  if (!f.log_excerpt.empty()) {
    std::string excerpt = valid_utf8(f.log_excerpt);
    if (excerpt.size() > kMaxLogExcerpt) {
      excerpt.erase(0, excerpt.size() - kMaxLogExcerpt);
      // Do not start in the middle of a UTF-8 sequence.
      while (!excerpt.empty() && (static_cast<unsigned char>(excerpt[0]) & 0xC0) == 0x80) {
        excerpt.erase(0, 1);
      }
    }
    add("log_excerpt", excerpt);
  }
  if (!f.contacts.empty()) {
    json::Value contacts(rapidjson::kArrayType);
    for (const std::string& c : f.contacts)
      contacts.PushBack(json::Value(valid_utf8(c), alloc), alloc);
    misc.AddMember("contacts", contacts, alloc);
  }
  for (const auto& [key, value] : f.misc) {
    misc.AddMember(json::Value(key, alloc), json::Value(value, alloc), alloc);
  }
  if (misc.MemberCount() > 0) obj.AddMember("misc", misc, alloc);
  return obj;
}

json::Document checkout_report(const std::vector<CheckoutFields>& checkouts) {
  json::Document doc(rapidjson::kObjectType);
  auto& alloc = doc.GetAllocator();
  json::Value version(rapidjson::kObjectType);
  version.AddMember("major", 5, alloc);
  version.AddMember("minor", 3, alloc);
  doc.AddMember("version", version, alloc);
  json::Value list(rapidjson::kArrayType);
  for (const CheckoutFields& checkout : checkouts)
    list.PushBack(checkout_object(checkout, alloc), alloc);
  doc.AddMember("checkouts", list, alloc);
  return doc;
}

MonitorPassResult monitor_pass(const PipelineConfig& config, const MonitorOptions& options,
                               const std::function<void(const CheckoutFields&)>& on_checkout,
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
      CheckoutFields checkout;
      checkout.id = branch_checkout_id(config.origin(), w.tree, w.branch, *head);
      checkout.origin = config.origin();
      checkout.tree_name = w.tree;
      checkout.repository_url = tree->url;
      checkout.branch = w.branch;
      checkout.commit = *head;
      checkout.commit_name = git::describe(mirror, *head);
      checkout.commit_message = git::commit_message(mirror, *head);
      checkout.commit_tags = git::tags_pointing_at(mirror, *head);
      checkout.branch_tip = true;
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
