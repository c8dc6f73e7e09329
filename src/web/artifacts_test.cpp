// SPDX-License-Identifier: LGPL-2.1-or-later
#include "web/artifacts.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace kci::web {
namespace {

namespace fs = std::filesystem;

class Artifacts : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() /
            ("kci-artifacts-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    root_ = base_ / "root";
    fs::create_directories(root_ / "run1" / "sub");
    std::ofstream(root_ / "run1" / "console.log") << "boot log\n";
    std::ofstream(root_ / "run1" / "console.html") << "<pre>log</pre>\n";
    std::ofstream(root_ / "run1" / "sub" / "kernel.bin") << "\x7f"
                                                            "ELF";
    std::ofstream(base_ / "secret.txt") << "secret\n";
    fs::create_symlink(base_ / "secret.txt", root_ / "run1" / "link.txt");
    fs::create_directory_symlink(base_, root_ / "up");
  }
  void TearDown() override { fs::remove_all(base_); }

  WebResponse get(const std::string& raw) {
    // What the server hands over: the decoded path after /artifacts/.
    std::string decoded;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '%' && i + 2 < raw.size()) {
        decoded += static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        decoded += raw[i];
      }
    }
    return serve_artifact(root_, "/artifacts/" + raw, decoded);
  }

  fs::path base_, root_;
};

TEST_F(Artifacts, ServesFilesBelowTheRoot) {
  WebResponse r = get("run1/console.log");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "boot log\n");
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  r = get("run1/sub/kernel.bin");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/octet-stream");
}

TEST_F(Artifacts, HtmlLogsAreSandboxed) {
  WebResponse r = get("run1/console.html");
  ASSERT_EQ(r.status, 200);
  bool sandboxed = false;
  for (const auto& [k, v] : r.headers) {
    if (k == "Content-Security-Policy" && v.starts_with("sandbox")) sandboxed = true;
  }
  EXPECT_TRUE(sandboxed);
}

TEST_F(Artifacts, NoWayOut) {
  for (const char* path :
       {"../secret.txt", "run1/../../secret.txt", "run1/..", "./run1/console.log",
        "run1//console.log", "run1/link.txt", "up/secret.txt", "up/root/run1/console.log",
        "run1%2F..%2F..%2Fsecret.txt", "..%2fsecret.txt", "run1%5cconsole.log",
        "run1/console.log%00.txt", "%2e%2e/secret.txt", "run1", "run1/", "missing.log", ""}) {
    WebResponse r = get(path);
    EXPECT_NE(r.status, 200) << path;
    EXPECT_EQ(r.body.find("secret"), std::string::npos) << path;
  }
}

TEST_F(Artifacts, NothingWithoutARoot) {
  EXPECT_EQ(serve_artifact({}, "/artifacts/run1/console.log", "run1/console.log").status, 404);
}

}  // namespace
}  // namespace kci::web
