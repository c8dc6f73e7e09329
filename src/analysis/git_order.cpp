// SPDX-License-Identifier: LGPL-2.1-or-later
#include "analysis/git_order.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <tuple>

#include "util/error.h"
#include "util/subprocess.h"

namespace kci::analysis {

namespace {

// The monitor's file name for a tree (pipeline/source/monitor.cpp
// safe_name): characters other than [A-Za-z0-9._-] become '_'.
std::string safe_name(const std::string& s) {
  std::string out;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    out += ok ? c : '_';
  }
  if (out.empty() || out[0] == '.') out = "_" + out;
  return out;
}

bool is_hex_commit(const std::string& s) {
  if (s.size() < 4 || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

long long generation_of(const std::string& key) { return std::stoll(key.substr(1)); }

}  // namespace

std::optional<std::string> Repositories::find(const std::string& url,
                                              const std::string& tree_name) const {
  auto it = by_url.find(url);
  if (it != by_url.end()) return it->second;
  if (!mirrors.empty() && !tree_name.empty()) {
    std::string path = mirrors + "/" + safe_name(tree_name) + ".git";
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return path;
  }
  return std::nullopt;
}

Repositories repositories_from_env() {
  Repositories r;
  if (const char* m = std::getenv("KCI_MIRRORS"); m && *m) r.mirrors = m;
  return r;
}

namespace {

RunResult git(const std::string& repo, std::vector<std::string> args, int& calls,
              std::optional<std::string> input = std::nullopt) {
  std::vector<std::string> argv{"git", "-C", repo};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions o;
  o.env = {{"LC_ALL", "C"}, {"GIT_TERMINAL_PROMPT", "0"}};
  o.timeout = std::chrono::minutes(5);
  o.stdin_data = std::move(input);
  ++calls;
  return run_process(argv, o);
}

[[noreturn]] void git_failed(const std::string& repo, const std::string& what, const RunResult& r) {
  throw Error("git in " + repo + ": " + what + " failed: " + r.err);
}

}  // namespace

bool GitRepo::has(const std::string& commit) {
  if (!is_hex_commit(commit)) return false;
  auto it = has_.find(commit);
  if (it != has_.end()) return it->second;
  RunResult r = git(path_, {"cat-file", "-e", commit + "^{commit}"}, calls_);
  bool yes = r.ok();
  // Only a positive answer is kept: a missing commit may be fetched later.
  if (yes) has_[commit] = true;
  return yes;
}

bool GitRepo::is_ancestor(const std::string& a, const std::string& b) {
  RunResult r = git(path_, {"merge-base", "--is-ancestor", a, b}, calls_);
  if (r.exit_code == 0) return true;
  if (r.exit_code == 1) return false;
  git_failed(path_, "merge-base --is-ancestor " + a + " " + b, r);
}

long long GitRepo::count(const std::string& a, const std::string& b) {
  std::vector<std::string> args{"rev-list", "--count", a};
  if (!b.empty()) args.push_back("^" + b);
  RunResult r = git(path_, args, calls_);
  if (!r.ok()) git_failed(path_, "rev-list --count", r);
  return std::stoll(r.out);
}

std::set<std::string> GitRepo::list(const std::string& a, const std::string& b) {
  RunResult r = git(path_, {"rev-list", a, "^" + b}, calls_);
  if (!r.ok()) git_failed(path_, "rev-list " + a + " ^" + b, r);
  std::set<std::string> out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.insert(line);
  return out;
}

std::string generation_key(long long generation) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "g%012lld", generation);
  return buf;
}

std::vector<std::string> order_branch(GitRepo& repo, std::vector<BranchCheckout>& cs,
                                      const std::set<std::string>& fresh_in) {
  std::map<std::string, std::string> before;
  for (const auto& c : cs) before[c.id] = c.key;
  auto less = [](const BranchCheckout* a, const BranchCheckout* b) {
    return std::tie(a->time, a->id) < std::tie(b->time, b->id);
  };
  std::set<std::string> fresh = fresh_in;
  // A fresh checkout that was ordered before (its commit or time changed)
  // or a tip the repository lost: the branch is ordered from scratch.
  bool redo = false;
  BranchCheckout* tip = nullptr;
  for (auto& c : cs) {
    if (fresh.count(c.id)) {
      if (!c.key.empty()) redo = true;
    } else if (!c.key.empty() && c.key[0] == 'g' && (!tip || less(tip, &c))) {
      tip = &c;
    }
  }
  if (tip && !repo.has(tip->hash)) redo = true;
  if (redo) {
    tip = nullptr;
    for (auto& c : cs) {
      fresh.insert(c.id);
      c.key.clear();
    }
  }
  std::vector<BranchCheckout*> todo;
  for (auto& c : cs)
    if (fresh.count(c.id)) {
      c.key.clear();
      todo.push_back(&c);
    }
  std::sort(todo.begin(), todo.end(), less);
  for (BranchCheckout* c : todo) {
    if (!repo.has(c->hash)) continue;
    if (!tip) {
      c->key = generation_key(repo.count(c->hash));
      tip = c;
    } else if (less(tip, c)) {
      // A new tip: what it adds to and drops from the old tip's history.
      std::set<std::string> added = repo.list(c->hash, tip->hash);
      std::set<std::string> dropped = repo.list(tip->hash, c->hash);
      long long gen = generation_of(tip->key) + static_cast<long long>(added.size()) -
                      static_cast<long long>(dropped.size());
      for (auto& x : cs) {
        if (&x == c || x.key.empty()) continue;
        if (x.key[0] == 'g' && dropped.count(x.hash)) {
          x.key = "-";
        } else if (x.key == "-" && added.count(x.hash)) {
          x.key = generation_key(gen - repo.count(c->hash, x.hash));
        }
      }
      c->key = generation_key(gen);
      tip = c;
    } else if (repo.is_ancestor(c->hash, tip->hash)) {
      c->key = generation_key(generation_of(tip->key) - repo.count(tip->hash, c->hash));
    } else {
      c->key = "-";
    }
  }
  std::vector<std::string> changed;
  for (const auto& c : cs)
    if (before[c.id] != c.key) changed.push_back(c.id);
  return changed;
}

}  // namespace kci::analysis
