// SPDX-License-Identifier: LGPL-2.1-or-later
// Patch series: mbox splitting, KCIDB's patchset_hash, and applying with a
// real git in a temporary repository.
#include "pipeline/source/patchset.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "pipeline/source/git.h"
#include "report/validate.h"
#include "util/file.h"
#include "util/sha256.h"
#include "util/subprocess.h"

namespace kci::pipeline {
namespace {

namespace fs = std::filesystem;

std::string sh(const std::string& script, const std::string& cwd) {
  RunOptions options;
  options.cwd = cwd;
  options.env = {{"GIT_AUTHOR_NAME", "Test Author"},
                 {"GIT_AUTHOR_EMAIL", "author@example.com"},
                 {"GIT_COMMITTER_NAME", "Test"},
                 {"GIT_COMMITTER_EMAIL", "test@example.com"},
                 {"GIT_CONFIG_GLOBAL", "/dev/null"},
                 {"GIT_CONFIG_NOSYSTEM", "1"},
                 {"LC_ALL", "C"}};
  return run_checked({"sh", "-ec", script}, options);
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/kci-patchset-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const char* kTwoPatchMbox =
    "From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001\n"
    "From: A <a@example.com>\n"
    "Message-Id:\n <first@example.com>\n"
    "Subject: [PATCH 1/2] one\n"
    "\n"
    "From the start: not a separator, it has no time.\n"
    "---\n"
    "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n"
    "From 2222222222222222222222222222222222222222 Mon Sep 17 00:00:00 2001\n"
    "From: A <a@example.com>\n"
    "Message-ID: <second@example.com>\n"
    "Subject: [PATCH 2/2] two\n"
    "\n"
    "--- a/g\n+++ b/g\n@@ -1 +1 @@\n-c\n+d\n";

TEST(SplitMbox, SplitsAtSeparatorsOnly) {
  std::vector<MboxMessage> messages = split_mbox(kTwoPatchMbox);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].message_id, "first@example.com");  // folded header
  EXPECT_EQ(messages[1].message_id, "second@example.com");
  EXPECT_TRUE(messages[0].is_patch);
  EXPECT_TRUE(messages[1].is_patch);
  EXPECT_EQ(messages[0].text + messages[1].text, kTwoPatchMbox);  // byte for byte
}

TEST(SplitMbox, CoverLetterIsNotAPatch) {
  std::string cover =
      "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
      "Message-Id: <cover@example.com>\nSubject: [PATCH 0/2] series\n\n"
      "Blurb.\n\n a/f | 2 +-\n 1 file changed\n";
  std::vector<MboxMessage> messages = split_mbox(cover + kTwoPatchMbox);
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_FALSE(messages[0].is_patch);
  EXPECT_EQ(messages[0].message_id, "cover@example.com");
}

TEST(PatchsetHash, KcidbDefinition) {
  EXPECT_EQ(patchset_hash({}), "");
  std::string expected = sha256_hex(sha256_hex("p1") + "\n" + sha256_hex("p2") + "\n");
  EXPECT_EQ(patchset_hash({"p1", "p2"}), expected);
  EXPECT_NE(patchset_hash({"p2", "p1"}), expected);  // order matters
}

// A repository with a base commit and a 3-patch series made by git
// format-patch, then the branch reset so the series is not in it.
struct SeriesRepo {
  TempDir dir;
  std::string repo = dir.path() + "/repo";
  std::string patches = dir.path() + "/patches";
  std::string base;

  SeriesRepo() {
    sh("git init -q -b main repo && cd repo && printf 'a\\nb\\nc\\n' > file && git add file && "
       "git commit -q -m base && git tag -a v1.0 -m v1.0 && "
       "for i in 1 2 3; do echo line$i >> file; git commit -q -am \"change $i\"; done && "
       "git format-patch -q --thread -o ../patches HEAD~3 && git reset -q --hard v1.0",
       dir.path());
    base = sh("git rev-parse HEAD", repo);
  }
  std::vector<std::string> patch_files() const {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(patches)) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
  }
};

TEST(ApplyPatchset, ThreePatchesApplyWithTheRightHash) {
  SeriesRepo s;
  PatchsetOptions options;
  options.mbox_files = s.patch_files();
  ASSERT_EQ(options.mbox_files.size(), 3u);
  options.repo = s.repo;
  options.base = "v1.0";
  options.tree_name = "test";
  std::string head_before = sh("git rev-parse HEAD && git status --porcelain", s.repo);
  report::Checkout checkout = apply_patchset(options);
  ASSERT_TRUE(checkout.valid.has_value());
  EXPECT_TRUE(*checkout.valid) << checkout.log_excerpt.value_or("");
  EXPECT_EQ(checkout.git_commit_hash, s.base);
  EXPECT_EQ(checkout.git_commit_name, "v1.0");
  // What the issue asks it to equal, computed by coreutils.
  std::string expected = sh("sha256sum *.patch | cut -c-64 | sha256sum | cut -c-64", s.patches);
  EXPECT_EQ(checkout.patchset_hash, expected);
  ASSERT_EQ(patchset_files(checkout).size(), 3u);
  EXPECT_EQ(patchset_files(checkout)[0].first, fs::path(options.mbox_files[0]).filename());
  EXPECT_EQ(patchset_files(checkout)[0].second, git::file_url(options.mbox_files[0]));
  // --thread gives Message-IDs; the series' is the first patch's.
  std::string first_id = sh("sed -n 's/^Message-I[dD]: <\\(.*\\)>$/\\1/p' 0001-*.patch", s.patches);
  EXPECT_EQ(checkout.message_id, first_id);
  // The user's repository is as it was, and no worktree is left behind.
  EXPECT_EQ(sh("git rev-parse HEAD && git status --porcelain", s.repo), head_before);
  EXPECT_EQ(sh("git worktree list | wc -l", s.repo), "1");
  // The same series as one mbox (cat *.patch) gives the same hash.
  std::string mbox = s.dir.path() + "/series.mbox";
  sh("cat patches/*.patch > series.mbox", s.dir.path());
  options.mbox_files = {mbox};
  report::Checkout from_mbox = apply_patchset(options);
  EXPECT_EQ(from_mbox.patchset_hash, expected);
  EXPECT_EQ(patchset_files(from_mbox).size(), 3u);
  EXPECT_EQ(patchset_files(from_mbox)[1].first, "0002-series.mbox.patch");
  EXPECT_EQ(from_mbox.message_id, first_id);

  json::Document report;
  report::to_json(checkout_report({checkout, from_mbox}), report, false);
  report::ValidationResult valid = report::validate_report(report);
  for (const auto& e : valid.errors) ADD_FAILURE() << e.str();
}

TEST(ApplyPatchset, ConflictingSeriesIsInvalidWithGitAmError) {
  SeriesRepo s;
  // Another base where the file's last line differs: the series cannot apply.
  sh("git checkout -q -b other && printf 'x\\ny\\nz\\n' > file && git commit -q -am other", s.repo);
  std::string head_before = sh("git rev-parse HEAD", s.repo);
  PatchsetOptions options;
  options.mbox_files = s.patch_files();
  options.repo = s.repo;
  options.base = "other";
  report::Checkout checkout = apply_patchset(options);
  ASSERT_TRUE(checkout.valid.has_value());
  EXPECT_FALSE(*checkout.valid);
  EXPECT_NE(checkout.log_excerpt.value_or("").find("git am failed"), std::string::npos);
  EXPECT_NE(checkout.log_excerpt.value_or("").find("patch failed"), std::string::npos)
      << checkout.log_excerpt.value_or("");
  EXPECT_EQ(sh("git rev-parse HEAD", s.repo), head_before);
  EXPECT_EQ(sh("git worktree list | wc -l", s.repo), "1");
  json::Document report;
  report::to_json(checkout_report({checkout}), report, false);
  EXPECT_TRUE(report::validate_report(report).ok());
}

// Only the files the patches name are checked out for git am: renames,
// deletions, new files and files in subdirectories still apply, and the
// patched commit has the whole tree.
TEST(ApplyPatchset, RenamesDeletionsAndNewFilesApplyInAPartialWorktree) {
  TempDir dir;
  std::string repo = dir.path() + "/repo";
  fs::create_directories(repo);
  sh("git init -q -b main . && mkdir -p a/b c && printf '1\\n2\\n3\\n' > a/b/kept.c && "
     "printf 'x\\n' > a/gone.c && printf 'old\\n' > c/old-name.c && printf 'u\\n' > untouched && "
     "git add -A && git commit -q -m base && git tag base && "
     "sed -i 's/2/two/' a/b/kept.c && git rm -q a/gone.c && git mv c/old-name.c c/new-name.c && "
     "printf 'n\\n' > c/added.c && git add -A && git commit -q -m change && "
     "git format-patch -q -M -1 -o ../patches && git reset -q --hard base",
     repo);
  PatchsetOptions options;
  for (const auto& e : fs::directory_iterator(dir.path() + "/patches")) {
    options.mbox_files.push_back(e.path().string());
  }
  options.repo = repo;
  options.base = "base";
  report::Checkout checkout = apply_patchset(options);
  ASSERT_TRUE(checkout.valid.has_value());
  ASSERT_TRUE(*checkout.valid) << checkout.log_excerpt.value_or("");
  std::string patched = misc_string(checkout, "patched_commit");
  EXPECT_EQ(sh("git ls-tree -r --name-only " + patched, repo),
            "a/b/kept.c\nc/added.c\nc/new-name.c\nuntouched");
  EXPECT_EQ(sh("git show " + patched + ":a/b/kept.c", repo), "1\ntwo\n3");
  EXPECT_EQ(sh("git worktree list | wc -l", repo), "1");
}

TEST(ApplyPatchset, UnknownBaseIsAnInputError) {
  SeriesRepo s;
  PatchsetOptions options;
  options.mbox_files = s.patch_files();
  options.repo = s.repo;
  options.base = "no-such-ref";
  EXPECT_THROW(apply_patchset(options), InvalidInputError);
}

// An mbox without a patch (garbage, a lone cover letter) is bad input, and
// the message names the file: with several, the user has to know which.
TEST(ApplyPatchset, MboxWithoutAPatchIsAnInputErrorNamingTheFile) {
  SeriesRepo s;
  std::string junk = s.dir.path() + "/junk.mbox";
  write_file_atomic(junk, "From nobody\nSubject: hello\n\nno diff here\n");
  PatchsetOptions options;
  options.mbox_files = {junk};
  options.repo = s.repo;
  options.base = "HEAD";
  try {
    apply_patchset(options);
    FAIL() << "accepted";
  } catch (const InvalidInputError& e) {
    EXPECT_EQ(std::string(e.what()), junk + ": no patch (a message with a diff) in this mbox");
  }
}

}  // namespace
}  // namespace kci::pipeline
