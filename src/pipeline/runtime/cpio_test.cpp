// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/runtime/cpio.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>

#include "util/file.h"
#include "util/subprocess.h"
#include "util/test_support.h"

namespace kci::pipeline {
namespace {

namespace fs = std::filesystem;

TEST(Cpio, NewcHeaderLayout) {
  CpioWriter w;
  w.add_file("init", "abc", 0755);
  std::string archive = w.finish();
  ASSERT_GE(archive.size(), 110u);
  EXPECT_EQ(archive.substr(0, 6), "070701");
  // Hex digits in lower case, as GNU cpio writes them (the kernel reads
  // either).
  EXPECT_EQ(archive.substr(6, 8), "00000001");   // inode
  EXPECT_EQ(archive.substr(14, 8), "000081ed");  // regular file, 0755
  EXPECT_EQ(archive.substr(54, 8), "00000003");  // file size
  EXPECT_EQ(archive.substr(94, 8), "00000005");  // "init" + NUL
  EXPECT_EQ(archive.substr(110, 5), std::string("init\0", 5));
  EXPECT_EQ(archive.size() % 4, 0u);
  EXPECT_NE(archive.find("TRAILER!!!"), std::string::npos);
}

// cpio(1) reads what the writer wrote: names, contents, links, devices.
TEST(Cpio, RoundTripThroughCpioTool) {
  if (!program_exists("cpio")) KCI_MISSING_REAL_PART("cpio not installed");
  CpioWriter w;
  w.add_directory("bin");
  w.add_file("bin/hello", "hello world\n", 0755);
  w.add_symlink("bin/sh", "hello");
  w.add_char_device("console", 5, 1);
  RunOptions list;
  list.stdin_data = gzip_compress(w.finish());
  std::string unzipped = run_process({"gzip", "-dc"}, list).out;
  RunOptions options;
  options.stdin_data = unzipped;
  RunResult r = run_process({"cpio", "-itv", "--quiet"}, options);
  ASSERT_TRUE(r.ok()) << r.err;
  EXPECT_NE(r.out.find("bin/hello"), std::string::npos);
  EXPECT_NE(r.out.find("bin/sh -> hello"), std::string::npos);
  EXPECT_NE(r.out.find("crw-------"), std::string::npos);
  EXPECT_NE(r.out.find("5,"), std::string::npos);
  fs::path dir = fs::temp_directory_path() / ("kci-cpio-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  RunOptions extract;
  extract.cwd = dir.string();
  CpioWriter files;
  files.add_file("a.txt", "content");
  extract.stdin_data = files.finish();
  ASSERT_TRUE(run_process({"cpio", "-id", "--quiet"}, extract).ok());
  EXPECT_EQ(read_file((dir / "a.txt").string()), "content");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kci::pipeline
