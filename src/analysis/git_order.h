// SPDX-License-Identifier: LGPL-2.1-or-later
// The order of the checkouts of one tree/branch by git ancestry, where kci
// has the repository (the monitor's mirrors, or a configured path).
//
// Every checkout of such a branch gets an order key:
//   "g" + generation  the number of commits reachable from its commit (so an
//                     ancestor always sorts before its descendants): the
//                     checkout is on the branch's line, an ancestor of (or
//                     the same commit as) the branch tip, the newest
//                     checkout (start_time, then id) whose commit the
//                     repository has;
//   "-"               off the line: a commit the tip does not contain (the
//                     branch was rebased or reset since). Its results stay
//                     in the tables (compare, summary) but leave the
//                     identities' histories, so the first checkout after a
//                     rebase is compared with the newest result at or below
//                     the merge-base;
//   ""                the repository lacks the commit (not fetched yet) or
//                     there is no repository: ordered by start_time.
// The keys are the cache of the ancestry answers: an update asks git only
// about the checkouts it brings (a new tip costs two `git rev-list A ^B`
// of the commits between the old and the new tip, a late older checkout
// one `merge-base --is-ancestor` and one `rev-list --count`), never about
// the branch's whole history.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kci::analysis {

// Where the repositories are: by git_repository_url, else the monitor's
// mirror DIR/<tree_name>.git (pipeline/source/monitor.h; only when it
// exists).
struct Repositories {
  std::map<std::string, std::string> by_url;  // URL -> path of a git repository
  std::string mirrors;                        // the monitor's STATE/mirrors ("" = none)
  bool empty() const { return by_url.empty() && mirrors.empty(); }
  // The repository for a checkout's URL/tree, or nullopt.
  std::optional<std::string> find(const std::string& url, const std::string& tree_name) const;
};
// The monitor's mirrors named by $KCI_MIRRORS (STATE/mirrors), if set: what
// kci analyze and kci serve's live analysis use by default.
Repositories repositories_from_env();

// The git questions, run as git commands in one repository. Answers for a
// commit the repository lacks: has() false; the others throw Error.
class GitRepo {
 public:
  explicit GitRepo(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }
  bool has(const std::string& commit);  // cached per object
  bool is_ancestor(const std::string& a, const std::string& b);
  // Commits reachable from a but not from b (b "" = all of a's).
  long long count(const std::string& a, const std::string& b = "");
  std::set<std::string> list(const std::string& a, const std::string& b);
  int calls() const { return calls_; }  // git processes started

 private:
  std::string path_;
  std::map<std::string, bool> has_;
  int calls_ = 0;
};

struct BranchCheckout {
  std::string id, hash, time;  // time: order_time (start_time, normalised)
  std::string key;             // as above; unknown for fresh ones
};

// Brings the keys of one branch's checkouts up to date. `fresh` names the
// checkouts whose key is not known yet (new, commit changed, or stored as
// "" and maybe fetched since); the others' keys must be what this function
// gave them before. Returns the ids whose key changed.
std::vector<std::string> order_branch(GitRepo& repo, std::vector<BranchCheckout>& checkouts,
                                      const std::set<std::string>& fresh);

// "g" + zero-padded generation.
std::string generation_key(long long generation);

}  // namespace kci::analysis
