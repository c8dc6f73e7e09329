// SPDX-License-Identifier: LGPL-2.1-or-later
// The few git operations kci monitor and kci checkout need, run as git
// commands (no shell) with timeouts and without prompting for credentials.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "util/error.h"
#include "util/subprocess.h"

namespace kci::pipeline::git {

// A git command failed; the message names the command and quotes git's
// error output.
class GitError : public Error {
 public:
  using Error::Error;
};

// Runs "git args..." in cwd (empty = current directory). Never prompts,
// messages in English (LC_ALL=C), no hooks. The result is returned as is.
RunResult run(const std::vector<std::string>& args, const std::string& cwd = {},
              std::chrono::seconds timeout = std::chrono::seconds(600),
              const std::map<std::string, std::string>& env = {});

// Same, but returns stdout without trailing newlines and throws GitError
// when git fails.
std::string checked(const std::vector<std::string>& args, const std::string& cwd = {},
                    std::chrono::seconds timeout = std::chrono::seconds(600));

// The commit at the head of a remote branch (git ls-remote URL
// refs/heads/BRANCH), or nullopt if the remote has no such branch.
std::optional<std::string> remote_branch_head(const std::string& url, const std::string& branch);

// Creates a bare repository at path unless there is one.
void ensure_bare_repository(const std::string& path);

// Fetches a branch and all tags of url into the (bare) repository at
// mirror, as refs/heads/<local_ref>.
void fetch_branch(const std::string& mirror, const std::string& url, const std::string& branch,
                  const std::string& local_ref);

// "git describe --always" of commit, as KernelCI names checkouts
// (annotated tags only, as kernel releases are).
std::string describe(const std::string& repo, const std::string& commit);
// The full commit message.
std::string commit_message(const std::string& repo, const std::string& commit);
// Tags pointing at the commit, sorted.
std::vector<std::string> tags_pointing_at(const std::string& repo, const std::string& commit);
// Resolves a revision to a full commit hash; nullopt if it does not name a
// commit.
std::optional<std::string> resolve_commit(const std::string& repo, const std::string& revision);

// "file:///abs/path" with the characters a URI does not allow
// percent-encoded; relative paths are made absolute.
std::string file_url(const std::string& path);

// True if url is an https:// URL, the only kind KCIDB v5 accepts for
// git_repository_url.
bool is_https_url(const std::string& url);

}  // namespace kci::pipeline::git
