// SPDX-License-Identifier: LGPL-2.1-or-later
#include "inbox/archive.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "util/file.h"
#include "util/subprocess.h"

namespace kci::inbox {

namespace {

namespace fs = std::filesystem;

RunOptions git_options() {
  RunOptions options;
  options.env = {{"LC_ALL", "C"}, {"GIT_TERMINAL_PROMPT", "0"}};
  options.timeout = std::chrono::hours(2);
  return options;
}

RunResult git(const std::string& git_dir, std::vector<std::string> args, RunOptions options) {
  std::vector<std::string> argv{"git", "--git-dir=" + git_dir};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, options);
}

std::string first_line(const std::string& text) {
  std::size_t nl = text.find('\n');
  return text.substr(0, nl);
}

bool is_git_dir(const fs::path& dir) {
  std::error_code ec;
  return fs::exists(dir / "HEAD", ec) && fs::is_directory(dir / "objects", ec);
}

bool is_hex_id(std::string_view s) {
  if (s.size() != 40 && s.size() != 64) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// One message blob named by a commit.
struct BlobRef {
  std::string commit;
  std::string blob;
};

// Parses `git log --raw --format=%x00%H` output into the blobs that add a
// message, in output order.
std::vector<BlobRef> parse_log(std::string_view out, bool v2, ReadStats& stats) {
  std::vector<BlobRef> refs;
  std::string commit;
  std::size_t pos = 0;
  while (pos < out.size()) {
    std::size_t nl = out.find('\n', pos);
    if (nl == std::string_view::npos) nl = out.size();
    std::string_view line = out.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    if (line[0] == '\0') {
      commit.assign(line.substr(1));
      ++stats.commits;
      continue;
    }
    if (line[0] != ':') continue;
    // ":100644 100644 <old> <new> M\tpath"
    std::size_t tab = line.find('\t');
    if (tab == std::string_view::npos) continue;
    std::string_view meta = line.substr(0, tab);
    std::string_view path = line.substr(tab + 1);
    std::size_t sp4 = meta.rfind(' ');
    if (sp4 == std::string_view::npos || sp4 < 1) continue;
    char status = meta.size() > sp4 + 1 ? meta[sp4 + 1] : '?';
    std::size_t sp3 = meta.rfind(' ', sp4 - 1);
    if (sp3 == std::string_view::npos) continue;
    std::string_view blob = meta.substr(sp3 + 1, sp4 - sp3 - 1);
    if (status == 'D') {
      if (!v2) ++stats.removed;
      continue;
    }
    if (v2) {
      if (path == "d") {
        ++stats.removed;
        continue;
      }
      if (path != "m") continue;
    }
    if (!is_hex_id(blob)) continue;
    refs.push_back({commit, std::string(blob)});
  }
  return refs;
}

// Streams `git cat-file --batch` output, calling on_blob(content) for each
// object in order.
class BatchParser {
 public:
  explicit BatchParser(std::function<void(std::string&&)> on_blob) : on_blob_(std::move(on_blob)) {}

  bool feed(std::string_view chunk) {
    buffer_.append(chunk);
    std::size_t pos = 0;
    while (true) {
      if (need_ == 0) {
        std::size_t nl = buffer_.find('\n', pos);
        if (nl == std::string::npos) break;
        std::string_view header(buffer_.data() + pos, nl - pos);
        pos = nl + 1;
        // "<id> blob <size>" or "<id> missing"
        std::size_t sp = header.rfind(' ');
        if (header.find(" missing") != std::string_view::npos || sp == std::string_view::npos) {
          on_blob_(std::string());
          continue;
        }
        need_ = std::strtoull(std::string(header.substr(sp + 1)).c_str(), nullptr, 10) + 1;
        if (need_ == 1) {
          // An empty blob: only its newline follows.
        }
      }
      if (buffer_.size() - pos < need_) break;
      on_blob_(std::string(buffer_.data() + pos, need_ - 1));
      pos += need_;
      need_ = 0;
    }
    buffer_.erase(0, pos);
    return true;
  }

 private:
  std::function<void(std::string&&)> on_blob_;
  std::string buffer_;
  std::size_t need_ = 0;  // bytes of content + newline still to come
};

void cat_blobs(const std::string& git_dir, const std::vector<std::string>& blobs,
               const std::function<void(std::size_t, std::string&&)>& on_blob) {
  if (blobs.empty()) return;
  std::string input;
  input.reserve(blobs.size() * 41);
  for (const std::string& b : blobs) {
    input += b;
    input += '\n';
  }
  std::size_t index = 0;
  BatchParser parser([&](std::string&& content) { on_blob(index++, std::move(content)); });
  RunOptions options = git_options();
  options.stdin_data = std::move(input);
  options.capture_stdout = false;
  options.on_output = [&](std::string_view chunk) { return parser.feed(chunk); };
  RunResult r = git(git_dir, {"cat-file", "--batch"}, options);
  if (!r.ok()) {
    throw Error("git cat-file --batch in " + git_dir + " failed: " + first_line(r.err));
  }
}

}  // namespace

Archive Archive::open(const std::string& path) {
  Archive archive;
  archive.path_ = path;
  // A path that cannot be reached says why, as every input file does.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw InputFileError(path + ": cannot open: " + std::strerror(errno));
  }
  std::error_code ec;
  fs::path root(path);
  if (fs::is_directory(root / "git", ec)) {
    archive.format_ = Format::kV2;
    for (const auto& entry : fs::directory_iterator(root / "git", ec)) {
      std::string name = entry.path().filename().string();
      if (name.size() < 5 || name.substr(name.size() - 4) != ".git") continue;
      std::string number = name.substr(0, name.size() - 4);
      if (number.empty() || !std::all_of(number.begin(), number.end(), ::isdigit)) continue;
      if (!is_git_dir(entry.path())) continue;
      archive.epochs_.push_back({std::stoi(number), entry.path().string()});
    }
    std::sort(archive.epochs_.begin(), archive.epochs_.end(),
              [](const Epoch& a, const Epoch& b) { return a.number < b.number; });
    if (archive.epochs_.empty()) {
      throw InvalidInputError(path + ": a public-inbox v2 archive needs git/0.git (none found)");
    }
    return archive;
  }
  if (is_git_dir(root)) {
    archive.epochs_.push_back({0, root.string()});
  } else if (is_git_dir(root / ".git")) {
    archive.epochs_.push_back({0, (root / ".git").string()});
  } else {
    throw InvalidInputError(path +
                            ": not a public-inbox archive (neither git/N.git epochs nor a git "
                            "repository)");
  }
  archive.format_ = Format::kV1;
  return archive;
}

ReadStats Archive::read_new(Cursor& cursor,
                            const std::function<void(Message&&)>& on_message) const {
  ReadStats stats;
  bool v2 = format_ == Format::kV2;
  for (const Epoch& epoch : epochs_) {
    // From the cursor when the epoch still has that commit (a rewritten
    // history reads what the new history has that the old one had not),
    // else from the start.
    auto known = cursor.find(epoch.number);
    std::string range = "HEAD";
    if (known != cursor.end() && !known->second.empty()) {
      RunResult has =
          git(epoch.git_dir, {"cat-file", "-e", known->second + "^{commit}"}, git_options());
      if (has.ok()) {
        range = known->second + "..HEAD";
      } else {
        ++stats.rescanned_epochs;
      }
    }
    RunResult log = git(epoch.git_dir,
                        {"log", "--reverse", "--root", "--no-renames", "--raw", "--no-abbrev",
                         "--format=%x00%H", range},
                        git_options());
    if (!log.ok()) {
      // An epoch without commits yet has no HEAD.
      if (!git(epoch.git_dir, {"rev-parse", "--verify", "-q", "HEAD"}, git_options()).ok()) {
        continue;
      }
      throw Error("git log in " + epoch.git_dir + " failed: " + first_line(log.err));
    }
    // The newest commit read (the last line starting with NUL).
    std::string head_id;
    if (std::size_t last = log.out.rfind('\0'); last != std::string::npos) {
      std::size_t nl = log.out.find('\n', last);
      head_id =
          log.out.substr(last + 1, nl == std::string::npos ? std::string::npos : nl - last - 1);
    }
    std::vector<BlobRef> refs = parse_log(log.out, v2, stats);
    log.out.clear();
    log.out.shrink_to_fit();
    std::vector<std::string> blobs;
    blobs.reserve(refs.size());
    for (const BlobRef& r : refs) blobs.push_back(r.blob);
    cat_blobs(epoch.git_dir, blobs, [&](std::size_t i, std::string&& content) {
      if (content.empty() || i >= refs.size()) return;
      Message m = parse_message(std::move(content));
      m.epoch = epoch.number;
      m.blob = refs[i].blob;
      m.commit = refs[i].commit;
      ++stats.messages;
      on_message(std::move(m));
    });
    if (!head_id.empty()) cursor[epoch.number] = head_id;
  }
  return stats;
}

std::vector<Message> Archive::read_blobs(int epoch, const std::vector<std::string>& blobs) const {
  const Epoch* found = nullptr;
  for (const Epoch& e : epochs_) {
    if (e.number == epoch) found = &e;
  }
  if (!found) throw Error(path_ + ": no epoch " + std::to_string(epoch));
  std::vector<Message> out(blobs.size());
  cat_blobs(found->git_dir, blobs, [&](std::size_t i, std::string&& content) {
    if (i >= out.size()) return;
    out[i] = parse_message(std::move(content));
    out[i].epoch = epoch;
    out[i].blob = blobs[i];
  });
  return out;
}

}  // namespace kci::inbox
