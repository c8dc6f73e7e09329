// SPDX-License-Identifier: LGPL-2.1-or-later
// For tests only: the mbox fixtures of src/inbox/testdata as messages and
// as public-inbox archives in a temporary directory, and the git tree the
// fixture series apply to.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "inbox/archive_writer.h"
#include "inbox/message.h"
#include "pipeline/source/patchset.h"
#include "util/file.h"
#include "util/subprocess.h"

namespace kci::inbox::testing {

inline std::string testdata(const std::string& name) {
  return std::string(KCI_SOURCE_DIR) + "/src/inbox/testdata/" + name;
}

// The raw messages of fixture mbox files, in order.
inline std::vector<std::string> fixture_messages(const std::vector<std::string>& files) {
  std::vector<std::string> out;
  for (const std::string& f : files) {
    for (pipeline::MboxMessage& m : pipeline::split_mbox(read_file(testdata(f)))) {
      out.push_back(std::move(m.text));
    }
  }
  return out;
}

inline std::vector<Message> parse_all(const std::vector<std::string>& raws) {
  std::vector<Message> out;
  for (const std::string& r : raws) out.push_back(parse_message(r));
  return out;
}

// A temporary directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = std::filesystem::temp_directory_path().string() + "/kci-inbox-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (!::mkdtemp(buffer.data())) throw std::runtime_error("mkdtemp failed");
    path_ = buffer.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The tree the fixture series were written against: its base commit is
// always 8714c550d713985dc7e1ee445e5dc699a4178995 (fixed dates and names).
inline std::string make_base_repo(const std::string& dir) {
  std::filesystem::create_directories(dir + "/net");
  std::filesystem::create_directories(dir + "/drivers");
  write_file_atomic(dir + "/README", "kci inbox test tree\n");
  write_file_atomic(dir + "/net/core.c", "int net_core(void)\n{\n\treturn 0;\n}\n");
  write_file_atomic(dir + "/drivers/foo.c", "int foo(void)\n{\n\treturn 1;\n}\n");
  RunOptions o;
  o.cwd = dir;
  o.env = {{"GIT_AUTHOR_NAME", "kci"},
           {"GIT_AUTHOR_EMAIL", "kci@localhost"},
           {"GIT_COMMITTER_NAME", "kci"},
           {"GIT_COMMITTER_EMAIL", "kci@localhost"},
           {"GIT_AUTHOR_DATE", "2026-12-01T00:00:00Z"},
           {"GIT_COMMITTER_DATE", "2026-12-01T00:00:00Z"}};
  run_checked({"git", "init", "-q", "-b", "main", "."}, o);
  run_checked({"git", "add", "."}, o);
  run_checked({"git", "commit", "-q", "-m", "base"}, o);
  return run_checked({"git", "rev-parse", "HEAD"}, o);
}

}  // namespace kci::inbox::testing
