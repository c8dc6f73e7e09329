// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/source/git.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "util/text.h"

namespace kci::pipeline::git {

namespace {

namespace fs = std::filesystem;

std::string trim_trailing_newlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

std::string command_line(const std::vector<std::string>& args) {
  std::string line = "git";
  for (const std::string& arg : args) line += " " + arg;
  return line;
}

}  // namespace

RunResult run(const std::vector<std::string>& args, const std::string& cwd,
              std::chrono::seconds timeout, const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv{"git", "-c", "core.hooksPath=/dev/null", "-c",
                                "commit.gpgsign=false"};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions options;
  options.cwd = cwd;
  options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  options.env = env;
  // A remote asking for a password must fail, not hang a monitor.
  options.env["GIT_TERMINAL_PROMPT"] = "0";
  options.env["GIT_ASKPASS"] = "/bin/false";
  options.env["LC_ALL"] = "C";
  return run_process(argv, options);
}

std::string checked(const std::vector<std::string>& args, const std::string& cwd,
                    std::chrono::seconds timeout) {
  RunResult result = run(args, cwd, timeout);
  if (!result.ok()) {
    std::string why = result.timed_out ? "timed out" : trim_trailing_newlines(result.err);
    throw GitError(command_line(args) + (cwd.empty() ? "" : " (in " + cwd + ")") +
                   " failed: " + why);
  }
  return trim_trailing_newlines(result.out);
}

std::optional<std::string> remote_branch_head(const std::string& url, const std::string& branch) {
  std::string out = checked({"ls-remote", "--", url, "refs/heads/" + branch});
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    std::size_t tab = line.find('\t');
    if (tab != std::string::npos && line.substr(tab + 1) == "refs/heads/" + branch) {
      return line.substr(0, tab);
    }
  }
  return std::nullopt;
}

void ensure_bare_repository(const std::string& path) {
  std::error_code ec;
  if (fs::exists(fs::path(path) / "HEAD", ec)) return;
  fs::create_directories(path, ec);
  if (ec) throw GitError("cannot create " + path + ": " + ec.message());
  checked({"init", "--quiet", "--bare", path});
}

void fetch_branch(const std::string& mirror, const std::string& url, const std::string& branch,
                  const std::string& local_ref) {
  checked({"fetch", "--quiet", "--force", "--tags", "--", url,
           "+refs/heads/" + branch + ":refs/heads/" + local_ref},
          mirror, std::chrono::seconds(3600));
}

std::string describe(const std::string& repo, const std::string& commit) {
  return checked({"describe", "--always", commit}, repo);
}

std::string commit_message(const std::string& repo, const std::string& commit) {
  return checked({"log", "-1", "--format=%B", commit}, repo);
}

std::vector<std::string> tags_pointing_at(const std::string& repo, const std::string& commit) {
  std::string out = checked({"tag", "--points-at", commit}, repo);
  std::vector<std::string> tags;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty()) tags.push_back(line);
  }
  std::sort(tags.begin(), tags.end());
  return tags;
}

std::optional<std::string> resolve_commit(const std::string& repo, const std::string& revision) {
  RunResult result =
      run({"rev-parse", "--verify", "--quiet", "--end-of-options", revision + "^{commit}"}, repo,
          std::chrono::seconds(60));
  if (!result.ok()) return std::nullopt;
  return trim_trailing_newlines(result.out);
}

std::string file_url(const std::string& path) {
  return "file://" + percent_encode(fs::absolute(path).lexically_normal().string(), "/-_.~");
}

bool is_https_url(const std::string& url) { return url.rfind("https://", 0) == 0; }

}  // namespace kci::pipeline::git
