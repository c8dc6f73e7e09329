// SPDX-License-Identifier: LGPL-2.1-or-later
// Throw-away git repositories for the bisect tests: git with a fixed author
// and fixed dates (the same commits give the same hashes on every run), a
// scratch directory removed at the end of the test, and a file reader.
// Shared by bisector_test, auto_bisect_test and command_step_runner_test.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "util/subprocess.h"

namespace kci::bisect::test_repo {

// git -C repo ARGS... as Test Author on 2026-12-01; its stdout, trimmed.
inline std::string git(const std::string& repo, std::vector<std::string> args) {
  std::vector<std::string> argv = {
      "git", "-C", repo, "-c", "user.name=Test Author", "-c", "user.email=author@example.org"};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions options;
  options.env = {{"GIT_COMMITTER_DATE", "2026-12-01T00:00:00Z"},
                 {"GIT_AUTHOR_DATE", "2026-12-01T00:00:00Z"}};
  return run_checked(argv, options);
}

// The whole file; empty when it cannot be read (a tree without the file).
inline std::string read(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A new directory under /tmp named PREFIX-XXXXXX, removed with everything
// in it when the object goes.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix) {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    path_ = ::mkdtemp(tmpl.data());
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace kci::bisect::test_repo
