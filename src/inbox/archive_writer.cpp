// SPDX-License-Identifier: LGPL-2.1-or-later
#include "inbox/archive_writer.h"

#include <chrono>
#include <filesystem>

#include "inbox/message.h"
#include "util/error.h"
#include "util/sha256.h"
#include "util/subprocess.h"

namespace kci::inbox {

namespace {

namespace fs = std::filesystem;

RunOptions git_options() {
  RunOptions options;
  options.env = {{"LC_ALL", "C"}, {"GIT_TERMINAL_PROMPT", "0"}};
  options.timeout = std::chrono::hours(1);
  return options;
}

void git_checked(const std::string& git_dir, const std::vector<std::string>& args,
                 RunOptions options = git_options()) {
  std::vector<std::string> argv{"git", "--git-dir=" + git_dir};
  argv.insert(argv.end(), args.begin(), args.end());
  RunResult r = run_process(argv, options);
  if (!r.ok()) throw Error("git " + args.front() + " in " + git_dir + " failed: " + r.err);
}

void ensure_bare(const std::string& git_dir) {
  std::error_code ec;
  if (fs::exists(fs::path(git_dir) / "HEAD", ec)) return;
  fs::create_directories(git_dir);
  RunResult r =
      run_process({"git", "init", "-q", "--bare", "-b", "master", git_dir}, git_options());
  if (!r.ok()) throw Error("git init " + git_dir + " failed: " + r.err);
}

std::size_t count_commits(const std::string& git_dir) {
  RunResult r =
      run_process({"git", "--git-dir=" + git_dir, "rev-list", "--count", "HEAD"}, git_options());
  return r.ok() ? std::stoul(r.out) : 0;
}

bool has_head(const std::string& git_dir) {
  return run_process({"git", "--git-dir=" + git_dir, "rev-parse", "--verify", "-q", "HEAD"},
                     git_options())
      .ok();
}

std::string strip_from_line(const std::string& raw) {
  if (raw.rfind("From ", 0) != 0) return raw;
  std::size_t nl = raw.find('\n');
  return nl == std::string::npos ? std::string() : raw.substr(nl + 1);
}

std::string v1_path(const std::string& message_id) {
  std::string h = sha256_hex(message_id).substr(0, 40);
  return h.substr(0, 2) + "/" + h.substr(2);
}

// Adds one commit to a fast-import stream.
void add_commit(std::string& stream, bool first_in_stream, bool branch_exists,
                const std::string& subject, std::int64_t when, const std::string& ops) {
  stream += "commit refs/heads/master\n";
  stream += "committer kci <kci@localhost> " + std::to_string(when) + " +0000\n";
  stream += "data " + std::to_string(subject.size()) + "\n" + subject + "\n";
  if (first_in_stream && branch_exists) stream += "from refs/heads/master^0\n";
  stream += ops;
  stream += "\n";
}

void run_fast_import(const std::string& git_dir, std::string stream) {
  RunOptions options = git_options();
  options.stdin_data = std::move(stream);
  git_checked(git_dir, {"fast-import", "--quiet", "--done"}, options);
}

void write(const std::string& dir, const std::vector<std::string>& messages,
           const ArchiveWriteOptions& options, bool remove) {
  if (messages.empty()) return;
  std::size_t next = 0;
  int epoch = 0;
  std::string git_dir;
  if (options.v2) {
    // The last epoch, or 0.
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::path(dir) / "git", ec)) {
      std::string name = e.path().filename().string();
      if (name.size() > 4 && name.substr(name.size() - 4) == ".git") {
        epoch = std::max(epoch, std::stoi(name.substr(0, name.size() - 4)));
      }
    }
  }
  while (next < messages.size()) {
    git_dir = options.v2 ? dir + "/git/" + std::to_string(epoch) + ".git" : dir;
    ensure_bare(git_dir);
    bool exists = has_head(git_dir);
    std::size_t room = messages.size() - next;
    if (options.v2 && options.messages_per_epoch > 0) {
      std::size_t have = exists ? count_commits(git_dir) : 0;
      if (have >= options.messages_per_epoch) {
        ++epoch;
        continue;
      }
      room = std::min(room, options.messages_per_epoch - have);
    }
    std::string stream;
    std::int64_t when = 1764547200;  // 2025-12-01, the commit time of every message
    for (std::size_t i = 0; i < room; ++i) {
      std::string text = strip_from_line(messages[next + i]);
      Message parsed = parse_message(text);
      std::string ops;
      std::string data = "data " + std::to_string(text.size()) + "\n" + text + "\n";
      if (options.v2) {
        ops = "deleteall\nM 100644 inline " + std::string(remove ? "d" : "m") + "\n" + data;
      } else if (remove) {
        ops = "D " + v1_path(parsed.message_id) + "\n";
      } else {
        ops = "M 100644 inline " + v1_path(parsed.message_id) + "\n" + data;
      }
      std::string subject = parsed.subject.empty() ? "(no subject)" : parsed.subject;
      add_commit(stream, i == 0, exists, subject, when + static_cast<std::int64_t>(next + i), ops);
    }
    stream += "done\n";
    run_fast_import(git_dir, std::move(stream));
    next += room;
  }
}

}  // namespace

void append_to_archive(const std::string& dir, const std::vector<std::string>& messages,
                       const ArchiveWriteOptions& options) {
  write(dir, messages, options, false);
}

void remove_from_archive(const std::string& dir, const std::vector<std::string>& messages,
                         const ArchiveWriteOptions& options) {
  write(dir, messages, options, true);
}

}  // namespace kci::inbox
