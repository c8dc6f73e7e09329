// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/source/patchset.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "pipeline/source/git.h"
#include "util/file.h"
#include "util/sha256.h"
#include "util/time.h"

namespace kci::pipeline {

namespace {

namespace fs = std::filesystem;

// An mbox "From " separator line: "From <sender> <asctime date>". git
// format-patch writes "From <sha1> Mon Sep 17 00:00:00 2001". Requiring a
// hh:mm:ss time, as git mailsplit does, keeps a commit message line that
// starts with "From " from splitting a message.
bool is_from_line(std::string_view line) {
  if (line.rfind("From ", 0) != 0) return false;
  for (std::size_t i = 0; i + 8 <= line.size(); ++i) {
    auto digit = [&](std::size_t k) {
      return std::isdigit(static_cast<unsigned char>(line[i + k]));
    };
    if (digit(0) && digit(1) && line[i + 2] == ':' && digit(3) && digit(4) && line[i + 5] == ':' &&
        digit(6) && digit(7)) {
      return true;
    }
  }
  return false;
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string trim(const std::string& text) {
  std::size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  std::size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

// The Message-ID header of a message (headers end at the first empty line;
// a header may continue on indented lines).
std::string find_message_id(const std::string& message) {
  std::size_t pos = message.find('\n');  // skip the "From " line
  pos = pos == std::string::npos ? message.size() : pos + 1;
  std::string current;
  auto take = [&](const std::string& header) -> std::string {
    std::size_t colon = header.find(':');
    if (colon == std::string::npos || lower(header.substr(0, colon)) != "message-id") return {};
    std::string value = trim(header.substr(colon + 1));
    if (!value.empty() && value.front() == '<') value.erase(0, 1);
    std::size_t close = value.find('>');
    if (close != std::string::npos) value.resize(close);
    return trim(value);
  };
  while (pos < message.size()) {
    std::size_t end = message.find('\n', pos);
    if (end == std::string::npos) end = message.size();
    std::string line = message.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    pos = end + 1;
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      current += " " + trim(line);
      continue;
    }
    if (std::string id = take(current); !id.empty()) return id;
    if (line.empty()) break;  // end of the headers
    current = line;
  }
  return take(current);
}

bool has_diff(const std::string& message) {
  bool unified =
      message.find("\n+++ ") != std::string::npos && message.find("\n@@ ") != std::string::npos;
  return unified || message.find("\nGIT binary patch\n") != std::string::npos;
}

// Removes a temporary directory and the git worktree in it on every exit.
class TempWorkspace {
 public:
  explicit TempWorkspace(std::string repo) : repo_(std::move(repo)) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/kci-checkout-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (!::mkdtemp(buffer.data())) throw FileError("cannot create a directory in " + pattern);
    dir_ = buffer.data();
  }
  TempWorkspace(const TempWorkspace&) = delete;
  TempWorkspace& operator=(const TempWorkspace&) = delete;
  ~TempWorkspace() {
    if (worktree_added_) {
      git::run({"worktree", "remove", "--force", worktree()}, repo_, std::chrono::seconds(300));
      git::run({"worktree", "prune"}, repo_, std::chrono::seconds(60));
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const std::string& dir() const { return dir_; }
  std::string worktree() const { return dir_ + "/worktree"; }
  void add_worktree(const std::string& commit) {
    git::checked({"worktree", "add", "--quiet", "--detach", worktree(), commit}, repo_,
                 std::chrono::seconds(1800));
    worktree_added_ = true;
  }
  // A worktree whose index holds the whole commit but whose files are only
  // `paths` (those that exist in it): git am reads and writes the files its
  // patches touch only, and checking out a whole kernel tree takes minutes.
  void add_partial_worktree(const std::string& commit, const std::vector<std::string>& paths) {
    git::checked({"worktree", "add", "--quiet", "--no-checkout", "--detach", worktree(), commit},
                 repo_, std::chrono::seconds(1800));
    worktree_added_ = true;
    git::checked({"read-tree", "HEAD"}, worktree(), std::chrono::seconds(600));
    // -q: paths not in the index (files the series adds) are no error.
    std::vector<std::string> args{"checkout-index", "-q", "-f", "--"};
    args.insert(args.end(), paths.begin(), paths.end());
    git::run(args, worktree(), std::chrono::seconds(600));
  }

 private:
  std::string repo_;
  std::string dir_;
  bool worktree_added_ = false;
};

std::string basename_of(const std::string& path) { return fs::path(path).filename().string(); }

// The paths a patch's diffs name (old and new sides), without the a/ b/
// prefixes. nullopt when one is quoted (unusual characters): the caller
// then checks the whole tree out.
std::optional<std::vector<std::string>> diff_paths(const std::string& patch) {
  std::vector<std::string> out;
  auto strip = [](std::string path) {
    std::size_t tab = path.find('\t');
    if (tab != std::string::npos) path.resize(tab);
    path = trim(path);
    if (path.rfind("a/", 0) == 0 || path.rfind("b/", 0) == 0) path.erase(0, 2);
    return path;
  };
  std::size_t pos = 0;
  while (pos < patch.size()) {
    std::size_t end = patch.find('\n', pos);
    if (end == std::string::npos) end = patch.size();
    std::string_view line(patch.data() + pos, end - pos);
    pos = end + 1;
    std::string path;
    for (std::string_view prefix :
         {"--- ", "+++ ", "rename from ", "rename to ", "copy from ", "copy to ", "diff --git "}) {
      if (line.rfind(prefix, 0) != 0) continue;
      std::string rest(line.substr(prefix.size()));
      if (!rest.empty() && rest[0] == '"') return std::nullopt;
      if (prefix == "diff --git ") {
        std::size_t b = rest.find(" b/");
        if (b == std::string::npos) break;
        out.push_back(strip(rest.substr(0, b)));
        out.push_back(strip(rest.substr(b + 1)));
      } else if (rest != "/dev/null") {
        out.push_back(strip(rest));
      }
      break;
    }
  }
  out.erase(std::remove_if(
                out.begin(), out.end(),
                [](const std::string& p) { return p.empty() || p == "/dev/null" || p[0] == '-'; }),
            out.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

std::vector<MboxMessage> split_mbox(const std::string& text) {
  std::vector<std::size_t> starts;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    if (is_from_line(std::string_view(text).substr(pos, end - pos))) starts.push_back(pos);
    pos = end + 1;
  }
  // Text before the first separator (or a file without any, such as a bare
  // "git diff") is a message of its own.
  if (starts.empty() || (starts[0] != 0 && !trim(text.substr(0, starts[0])).empty())) {
    starts.insert(starts.begin(), 0);
  }
  std::vector<MboxMessage> messages;
  for (std::size_t i = 0; i < starts.size(); ++i) {
    std::size_t end = i + 1 < starts.size() ? starts[i + 1] : text.size();
    MboxMessage message;
    message.text = text.substr(starts[i], end - starts[i]);
    if (trim(message.text).empty()) continue;
    message.message_id = find_message_id(message.text);
    message.is_patch = has_diff(message.text);
    messages.push_back(std::move(message));
  }
  return messages;
}

std::string patchset_hash(const std::vector<std::string>& patches) {
  if (patches.empty()) return "";
  std::string hashes;
  for (const std::string& patch : patches) hashes += sha256_hex(patch) + "\n";
  return sha256_hex(hashes);
}

report::Checkout apply_patchset(const PatchsetOptions& options) {
  if (options.mbox_files.empty()) throw UsageError("no patch series given (--mbox FILE)");
  std::string repo =
      git::checked({"rev-parse", "--show-toplevel"}, options.repo, std::chrono::seconds(60));
  std::optional<std::string> base = git::resolve_commit(repo, options.base);
  if (!base) throw InvalidInputError("--base " + options.base + ": no such commit in " + repo);

  // Patches in order, each with its name and URL.
  struct Patch {
    std::string text;
    std::string name;
    std::string url;
  };
  std::vector<Patch> patches;
  std::string message_id;
  for (const std::string& file : options.mbox_files) {
    std::vector<MboxMessage> messages = split_mbox(read_input_file(file));
    std::size_t patch_count = 0;
    for (const MboxMessage& m : messages) patch_count += m.is_patch ? 1 : 0;
    std::size_t index = 0;
    for (const MboxMessage& m : messages) {
      // The series' Message-ID: its first message's, cover letter or patch.
      if (message_id.empty() && patches.empty()) message_id = m.message_id;
      if (!m.is_patch) continue;
      ++index;
      Patch patch;
      patch.text = m.text;
      if (patch_count == 1) {
        patch.name = basename_of(file);
        patch.url = git::file_url(file);
      } else {
        char number[16];
        std::snprintf(number, sizeof number, "%04zu", index);
        patch.name = std::string(number) + "-" + basename_of(file) + ".patch";
        patch.url = git::file_url(file) + "#" + number;
      }
      patches.push_back(std::move(patch));
    }
  }
  if (patches.empty()) {
    // Name the files: with several, any of them may be the wrong one.
    std::string files;
    for (const std::string& file : options.mbox_files) files += (files.empty() ? "" : ", ") + file;
    throw InvalidInputError(files + ": no patch (a message with a diff) in " +
                            (options.mbox_files.size() == 1 ? "this mbox" : "these mbox files"));
  }
  if (!options.patch_dir.empty()) {
    fs::create_directories(options.patch_dir);
    for (Patch& patch : patches) {
      std::string path = options.patch_dir + "/" + patch.name;
      write_file_atomic(path, patch.text);
      patch.url = git::file_url(path);
    }
  }
  if (!options.patch_base_url.empty()) {
    std::string prefix = options.patch_base_url;
    if (prefix.back() != '/') prefix += '/';
    for (Patch& patch : patches) patch.url = prefix + patch.name;
  }

  std::vector<std::string> texts;
  for (const Patch& patch : patches) texts.push_back(patch.text);
  std::string hash = patchset_hash(texts);

  report::Checkout checkout;
  checkout.origin = options.origin;
  checkout.id = options.origin + ":" + *base + "+" + hash;
  if (!options.tree_name.empty()) checkout.tree_name = options.tree_name;
  if (!options.branch.empty()) checkout.git_repository_branch = options.branch;
  checkout.git_commit_hash = *base;
  checkout.start_time = now_rfc3339();
  std::string url = options.repository_url;
  if (url.empty()) {
    RunResult remote = git::run({"remote", "get-url", "origin"}, repo, std::chrono::seconds(60));
    url = remote.ok() ? trim(remote.out) : std::string();
    if (url.empty()) url = git::file_url(repo);
  }
  set_repository_url(checkout, url);
  checkout.git_commit_name = git::describe(repo, *base);
  set_commit_message(checkout, git::commit_message(repo, *base));
  std::vector<std::pair<std::string, std::string>> files;
  for (const Patch& patch : patches) files.emplace_back(patch.name, patch.url);
  set_patchset_files(checkout, files);
  checkout.patchset_hash = hash;
  set_message_id(checkout, message_id);

  TempWorkspace workspace(repo);
  std::vector<std::string> am{"am", "--quiet"};
  for (std::size_t i = 0; i < patches.size(); ++i) {
    std::string path = workspace.dir() + "/" + std::to_string(i + 1) + ".patch";
    write_file_atomic(path, patches[i].text);
    am.push_back(path);
  }
  // Only the files the patches touch are checked out (see
  // add_partial_worktree); all of them when a path cannot be read.
  std::optional<std::vector<std::string>> paths = std::vector<std::string>{};
  for (const Patch& patch : patches) {
    std::optional<std::vector<std::string>> p = diff_paths(patch.text);
    if (!p) {
      paths.reset();
      break;
    }
    paths->insert(paths->end(), p->begin(), p->end());
  }
  if (paths) {
    workspace.add_partial_worktree(*base, *paths);
  } else {
    workspace.add_worktree(*base);
  }
  // git am commits: give it an identity so it works on any machine.
  std::map<std::string, std::string> identity{{"GIT_COMMITTER_NAME", "kci"},
                                              {"GIT_COMMITTER_EMAIL", "kci@localhost"}};
  RunResult applied = git::run(am, workspace.worktree(), std::chrono::seconds(1800), identity);
  if (applied.ok()) {
    checkout.valid = true;
    std::string head = git::checked({"rev-parse", "HEAD"}, workspace.worktree());
    set_misc(checkout, "patched_commit", head);
  } else {
    checkout.valid = false;
    std::string output = trim(applied.out + "\n" + applied.err);
    if (applied.timed_out) output += "\n(git am timed out)";
    set_log_excerpt(checkout, "git am failed:\n" + output + "\n");
    git::run({"am", "--abort"}, workspace.worktree(), std::chrono::seconds(300));
  }
  return checkout;
}

}  // namespace kci::pipeline
