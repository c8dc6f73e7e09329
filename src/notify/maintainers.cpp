// SPDX-License-Identifier: LGPL-2.1-or-later
#include "notify/maintainers.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "util/error.h"

namespace kci::notify {
namespace {

namespace fs = std::filesystem;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string failure(const std::vector<std::string>& argv, const RunResult& r) {
  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  std::string why = r.timed_out ? "timed out" : "exit " + std::to_string(r.exit_code);
  std::string err = r.err.substr(0, 400);
  while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
  return cmd + ": " + why + (err.empty() ? "" : ": " + err);
}

}  // namespace

bool has_get_maintainer(const std::string& tree) {
  std::error_code ec;
  return !tree.empty() && fs::is_regular_file(fs::path(tree) / "scripts/get_maintainer.pl", ec) &&
         fs::exists(fs::path(tree) / "MAINTAINERS", ec);
}

std::string maintainers_tree_for(const std::string& chosen, const std::string& source) {
  if (!chosen.empty()) return chosen;
  return has_get_maintainer(source) ? source : std::string();
}

std::vector<Address> get_maintainers(const std::string& tree, const std::string& commit,
                                     const MaintainerOptions& options, CommandRunner& runner) {
  if (!has_get_maintainer(tree)) return {};
  // A commit is a hash (or a ref name): never an option to git.
  if (commit.empty() || commit.front() == '-') {
    throw InvalidInputError("get_maintainer: bad commit \"" + commit + "\"");
  }
  RunOptions ro;
  ro.cwd = tree;
  ro.timeout = options.timeout;
  std::vector<std::string> git = {"git",        "-C",   tree, "format-patch", "-1", "--stdout",
                                  "--no-color", commit, "--"};
  RunResult patch = runner.run(git, ro);
  if (!patch.ok()) throw Error(failure(git, patch));
  // One address per line (the default --multiline), no "(maintainer:...)"
  // role remarks, no authors guessed from the git history.
  std::vector<std::string> gm = {"perl", "scripts/get_maintainer.pl", "--no-git",
                                 "--no-git-fallback", "--no-rolestats"};
  if (!options.lists) gm.push_back("--no-l");
  ro.stdin_data = std::move(patch.out);
  RunResult r = runner.run(gm, ro);
  if (!r.ok()) throw Error(failure(gm, r));
  std::vector<Address> out;
  std::set<std::string> seen;
  std::size_t i = 0;
  while (i < r.out.size()) {
    std::size_t nl = r.out.find('\n', i);
    if (nl == std::string::npos) nl = r.out.size();
    std::string line = r.out.substr(i, nl - i);
    i = nl + 1;
    if (line.empty()) continue;
    try {
      Address a = parse_address(line);
      if (seen.insert(lower(a.email)).second) out.push_back(std::move(a));
    } catch (const InvalidInputError&) {
      // Not a plain address (a "(open list)" remark, a web address): dropped.
    }
  }
  return out;
}

}  // namespace kci::notify
