// SPDX-License-Identifier: LGPL-2.1-or-later
// kci config matrix, kci monitor and kci checkout run as a user runs them:
// the kci binary, real git, a git daemon serving an upstream repository on
// 127.0.0.1, and the YAML fixtures beside this file. Every report kci
// prints is checked with the KCIDB v5.3 validator.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "report/stream.h"
#include "report/validate.h"
#include "util/file.h"
#include "util/subprocess.h"

namespace kci {
namespace {

namespace fs = std::filesystem;

const std::map<std::string, std::string> kGitEnv = {{"GIT_AUTHOR_NAME", "Test Author"},
                                                    {"GIT_AUTHOR_EMAIL", "author@example.com"},
                                                    {"GIT_COMMITTER_NAME", "Test"},
                                                    {"GIT_COMMITTER_EMAIL", "test@example.com"},
                                                    {"GIT_CONFIG_GLOBAL", "/dev/null"},
                                                    {"GIT_CONFIG_NOSYSTEM", "1"},
                                                    {"LC_ALL", "C"}};

std::string sh(const std::string& script, const std::string& cwd) {
  RunOptions options;
  options.cwd = cwd;
  options.env = kGitEnv;
  return run_checked({"sh", "-ec", script}, options);
}

RunResult kci(const std::vector<std::string>& args, const std::string& cwd = {}) {
  std::vector<std::string> argv{KCI_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions options;
  options.cwd = cwd;
  options.env = kGitEnv;
  options.timeout = std::chrono::seconds(120);
  return run_process(argv, options);
}

// The reports of a stream, each checked against KCIDB v5.3.
struct Reports {
  std::vector<std::unique_ptr<report::JsonStreamReader>> keep;
  std::vector<report::ParsedValue> values;
  std::size_t checkouts() const {
    std::size_t n = 0;
    for (const auto& v : values) n += v.doc["checkouts"].Size();
    return n;
  }
  const json::Value& checkout(std::size_t i) const { return values.at(i).doc["checkouts"][0]; }
};

Reports parse_reports(const std::string& text) {
  Reports reports;
  reports.keep.push_back(std::make_unique<report::JsonStreamReader>(text, "<kci stdout>"));
  while (auto v = reports.keep.back()->next()) {
    report::ValidationResult result = report::validate_report(v->doc);
    for (const auto& e : result.errors) ADD_FAILURE() << "invalid report: " << e.str();
    EXPECT_EQ(v->doc["version"]["major"].GetInt(), 5);
    EXPECT_EQ(v->doc["version"]["minor"].GetInt(), 3);
    reports.values.push_back(std::move(*v));
  }
  return reports;
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/kci-sources-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// --- kci config ------------------------------------------------------------

TEST(ConfigMatrix, SmallLegacyFixtureByHand) {
  RunResult r = kci({"config", "matrix", "-c", KCI_FIXTURES "/small-legacy.yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Worked out from the rules (see src/pipeline/config/matrix.h):
  // demo_master takes the defaults: gcc-12 with fragments kselftest
  // (appended) and tinyconfig (its own target);
  //   arm64: base defconfig + board fragment + 2 extras -> 6;
  //   x86_64: base x86_64_defconfig; the blocklist drops tinyconfig -> 2.
  // demo_next gcc-12: the same, x86_64 gets extra allnoconfig -> 6 + 3.
  // demo_next clang-14 (no variant fragments):
  //   arm64: candidates defconfig, defconfig+board, allnoconfig,
  //     defconfig+CONFIG_CPU_BIG_ENDIAN=y; the passlist (contains
  //     "defconfig") drops allnoconfig; the regex keeps the rest -> 3;
  //   x86_64: x86_64_defconfig and i386_defconfig; the combination
  //     [x86_64, x86_64_defconfig] keeps only the first -> 1.
  std::string expected =
      "TREE  BRANCH  BUILD_CONFIG  BUILD_ENV  ARCH    DEFCONFIG\n"
      "demo  master  demo_master   gcc-12     arm64   allnoconfig\n"
      "demo  master  demo_master   gcc-12     arm64   defconfig\n"
      "demo  master  demo_master   gcc-12     arm64   defconfig+CONFIG_CPU_BIG_ENDIAN=y\n"
      "demo  master  demo_master   gcc-12     arm64   defconfig+board\n"
      "demo  master  demo_master   gcc-12     arm64   defconfig+kselftest\n"
      "demo  master  demo_master   gcc-12     arm64   tinyconfig\n"
      "demo  master  demo_master   gcc-12     x86_64  x86_64_defconfig\n"
      "demo  master  demo_master   gcc-12     x86_64  x86_64_defconfig+kselftest\n"
      "demo  next    demo_next     clang-14   arm64   defconfig\n"
      "demo  next    demo_next     clang-14   arm64   defconfig+CONFIG_CPU_BIG_ENDIAN=y\n"
      "demo  next    demo_next     clang-14   arm64   defconfig+board\n"
      "demo  next    demo_next     clang-14   x86_64  x86_64_defconfig\n"
      "demo  next    demo_next     gcc-12     arm64   allnoconfig\n"
      "demo  next    demo_next     gcc-12     arm64   defconfig\n"
      "demo  next    demo_next     gcc-12     arm64   defconfig+CONFIG_CPU_BIG_ENDIAN=y\n"
      "demo  next    demo_next     gcc-12     arm64   defconfig+board\n"
      "demo  next    demo_next     gcc-12     arm64   defconfig+kselftest\n"
      "demo  next    demo_next     gcc-12     arm64   tinyconfig\n"
      "demo  next    demo_next     gcc-12     x86_64  allnoconfig\n"
      "demo  next    demo_next     gcc-12     x86_64  x86_64_defconfig\n"
      "demo  next    demo_next     gcc-12     x86_64  x86_64_defconfig+kselftest\n";
  EXPECT_EQ(r.out, expected);
  EXPECT_NE(r.err.find("21 builds"), std::string::npos);
}

TEST(ConfigMatrix, JsonAndSelection) {
  RunResult r = kci({"config", "matrix", "-c", KCI_FIXTURES "/small-legacy.yaml", "--branch",
                     "next", "--variant", "clang-14", "--arch", "x86_64", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::Document doc;
  doc.Parse(r.out.c_str());
  ASSERT_TRUE(doc.IsArray()) << r.out;
  ASSERT_EQ(doc.Size(), 1u);
  EXPECT_EQ(json::str(doc[0]["defconfig"]), "x86_64_defconfig");
  EXPECT_EQ(json::str(doc[0]["cc"]), "clang");  // clang-14 merged gcc-12's arch_params
  EXPECT_EQ(json::str(doc[0]["cc_version"]), "14");
  EXPECT_EQ(json::str(doc[0]["tree_url"]), "https://git.example.org/demo.git");
}

TEST(ConfigMatrix, YamlErrorsNameFileAndLine) {
  RunResult r = kci({"config", "matrix", "-c", KCI_FIXTURES "/broken.yaml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("broken.yaml:7:9: a merge key (<<) needs a mapping"), std::string::npos)
      << r.err;
  RunResult usage = kci({"config", "matrix", "--format", "xml"});
  EXPECT_EQ(usage.exit_code, 2);
}

TEST(ConfigFragment, PrintsTheConfigLines) {
  RunResult r = kci({"config", "fragment", "-c", KCI_SOURCE_DIR "/config/kci.yaml", "arm64-boot"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("CONFIG_SERIAL_AMBA_PL011=y\n"), std::string::npos);
  RunResult unknown = kci({"config", "fragment", "-c", KCI_SOURCE_DIR "/config/kci.yaml", "x"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("unknown config fragment 'x'"), std::string::npos);
}

TEST(Help, EveryCommandHasHelp) {
  for (std::vector<std::string> args : {std::vector<std::string>{"config", "--help"},
                                        {"config", "matrix", "--help"},
                                        {"config", "fragment", "--help"},
                                        {"monitor", "--help"},
                                        {"checkout", "--help"}}) {
    RunResult r = kci(args);
    EXPECT_EQ(r.exit_code, 0) << args[0];
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << r.out;
  }
}

// --- kci monitor -----------------------------------------------------------

int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return -1;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// An upstream repository with branches master and stable, served by git
// daemon on 127.0.0.1 (stopped, by its pid, at the end of the test).
class MonitorE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    sh("git init -q -b master up && cd up && git commit -q --allow-empty -m one && "
       "git tag -a v1.0 -m v1.0 && git branch stable && "
       "git config daemon.uploadpack true",
       dir_.path());
    int port = free_loopback_port();
    ASSERT_GT(port, 0);
    pid_file_ = dir_.path() + "/daemon.pid";
    sh("git daemon --detach --reuseaddr --export-all --listen=127.0.0.1 --port=" +
           std::to_string(port) + " --pid-file=" + pid_file_ + " --base-path=" + dir_.path() + " " +
           dir_.path(),
       dir_.path());
    url_ = "git://127.0.0.1:" + std::to_string(port) + "/up";
    // Wait (at most 10 s) until the daemon answers.
    for (int i = 0; i < 100; ++i) {
      RunResult r = run_process({"git", "ls-remote", url_});
      if (r.ok()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "git daemon did not start at " << url_;
  }
  void TearDown() override {
    std::ifstream pid_in(pid_file_);
    pid_t pid = 0;
    if (pid_in >> pid && pid > 0) ::kill(pid, SIGTERM);
  }
  RunResult monitor() {
    return kci({"monitor", "-c", KCI_FIXTURES "/monitor.yaml", "--tree-url", "up=" + url_,
                "--state", dir_.path() + "/state", "--once", "--indent", "0"});
  }
  void commit(const std::string& branch, const std::string& message) {
    sh("git checkout -q " + branch + " && git commit -q --allow-empty -m '" + message +
           "' && git checkout -q master",
       dir_.path() + "/up");
  }
  std::string head(const std::string& branch) {
    return sh("git rev-parse " + branch, dir_.path() + "/up");
  }

  TempDir dir_;
  std::string pid_file_;
  std::string url_;
};

TEST_F(MonitorE2E, OneCheckoutPerNewHeadOverGitDaemon) {
  RunResult first = monitor();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  Reports r1 = parse_reports(first.out);
  ASSERT_EQ(r1.checkouts(), 2u) << first.out;  // master and stable, both new
  const json::Value& master = r1.checkout(0);
  EXPECT_EQ(json::str(master["id"]), "kci_test:up:master:" + head("master"));
  EXPECT_EQ(json::str(master["origin"]), "kci_test");
  EXPECT_EQ(json::str(master["tree_name"]), "up");
  EXPECT_EQ(json::str(master["git_repository_branch"]), "master");
  EXPECT_EQ(json::str(master["git_commit_hash"]), head("master"));
  EXPECT_EQ(json::str(master["git_commit_name"]), "v1.0");
  EXPECT_EQ(json::str(master["git_commit_message"]), "one");
  EXPECT_EQ(master["git_commit_tags"].Size(), 1u);
  EXPECT_TRUE(master["git_repository_branch_tip"].GetBool());
  // git:// is not a valid KCIDB v5 git_repository_url: it is kept in misc.
  EXPECT_FALSE(master.HasMember("git_repository_url"));
  EXPECT_EQ(json::str(master["misc"]["git_repository_url"]), url_);
  EXPECT_NE(first.err.find("new head"), std::string::npos);

  // Nothing new: no checkout.
  RunResult second = monitor();
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(parse_reports(second.out).checkouts(), 0u);
  EXPECT_NE(second.err.find("up/master: unchanged"), std::string::npos) << second.err;

  // New commits on both: master (no frequency) is reported; stable
  // (frequency 1h, polled a moment ago) is not due yet.
  commit("master", "two");
  commit("stable", "fix");
  RunResult third = monitor();
  ASSERT_EQ(third.exit_code, 0) << third.err;
  Reports r3 = parse_reports(third.out);
  ASSERT_EQ(r3.checkouts(), 1u);
  EXPECT_EQ(json::str(r3.checkout(0)["git_commit_hash"]), head("master"));
  EXPECT_EQ(json::str(r3.checkout(0)["git_commit_name"]), "v1.0-1-g" + head("master").substr(0, 7));
  EXPECT_NE(third.err.find("up/stable: not due"), std::string::npos) << third.err;

  // The output is a stream kci validate accepts as is.
  RunOptions options;
  options.stdin_data = first.out + third.out;
  RunResult validated = run_process({KCI_BINARY, "validate", "--indent", "0"}, options);
  EXPECT_EQ(validated.exit_code, 0) << validated.err;
}

TEST_F(MonitorE2E, WithoutOnceItKeepsPolling) {
  // Passes every second until stopped: once the first pass has reported
  // both heads, a commit is made, and a later pass reports it; then kci is
  // stopped. Driven by the output, not by sleeps, so a slow machine only
  // makes it slower.
  std::vector<std::string> argv{
      KCI_BINARY,   "monitor",    "-c",       KCI_FIXTURES "/monitor.yaml",
      "--tree-url", "up=" + url_, "--state",  dir_.path() + "/state",
      "--interval", "1",          "--indent", "0"};
  RunOptions options;
  options.env = kGitEnv;
  options.timeout = std::chrono::seconds(120);
  std::string output;
  bool committed = false;
  options.on_output = [&](std::string_view chunk) {
    output.append(chunk);
    // --indent 0: each report is one whole line.
    auto reports = static_cast<std::size_t>(std::count(output.begin(), output.end(), '\n'));
    if (reports >= 2 && !committed) {
      commit("master", "later");
      committed = true;
    }
    return reports < 3;
  };
  RunResult r = run_process(argv, options);
  EXPECT_TRUE(r.stopped) << r.err;
  Reports reports = parse_reports(output);
  ASSERT_EQ(reports.checkouts(), 3u) << r.err;
  EXPECT_EQ(json::str(reports.checkout(2)["git_commit_hash"]), head("master"));
  EXPECT_NE(r.err.find("pass done"), std::string::npos);
}

TEST_F(MonitorE2E, UnreachableTreeFailsThePass) {
  RunResult r =
      kci({"monitor", "-c", KCI_FIXTURES "/monitor.yaml", "--tree-url",
           "up=" + dir_.path() + "/missing", "--state", dir_.path() + "/state2", "--once"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("2 failed"), std::string::npos) << r.err;
}

// --- kci checkout ----------------------------------------------------------

class CheckoutE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    sh("git init -q -b main repo && cd repo && printf 'a\\nb\\nc\\n' > file && git add file && "
       "git commit -q -m base && git tag -a v2.0 -m v2.0 && "
       "for i in 1 2 3; do echo line$i >> file; git commit -q -am \"change $i\"; done && "
       "git format-patch -q --thread -o ../patches HEAD~3 && git reset -q --hard v2.0 && "
       "git checkout -q -b conflicting && printf 'x\\n' > file && git commit -q -am other && "
       "git checkout -q main",
       dir_.path());
    repo_ = dir_.path() + "/repo";
    patches_ = sh("ls -1 patches/*.patch | sort | tr '\\n' ' '", dir_.path());
  }
  std::vector<std::string> checkout_args(const std::string& base) {
    std::vector<std::string> args{"checkout",    "--repo", repo_,      "--base", base,
                                  "--tree-name", "demo",   "--indent", "0"};
    std::istringstream files(patches_);
    std::string file;
    while (files >> file) {
      args.push_back("--mbox");
      args.push_back(dir_.path() + "/" + file);
    }
    return args;
  }

  TempDir dir_;
  std::string repo_;
  std::string patches_;
};

TEST_F(CheckoutE2E, SeriesAppliesWithKcidbPatchsetHash) {
  RunResult r = kci(checkout_args("v2.0"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Reports reports = parse_reports(r.out);
  ASSERT_EQ(reports.checkouts(), 1u);
  const json::Value& c = reports.checkout(0);
  EXPECT_TRUE(c["valid"].GetBool());
  EXPECT_EQ(json::str(c["patchset_hash"]),
            sh("sha256sum *.patch | cut -c-64 | sha256sum | cut -c-64", dir_.path() + "/patches"));
  EXPECT_EQ(json::str(c["git_commit_hash"]), sh("git rev-parse v2.0^{commit}", repo_));
  EXPECT_EQ(json::str(c["git_commit_name"]), "v2.0");
  EXPECT_EQ(json::str(c["tree_name"]), "demo");
  ASSERT_EQ(c["patchset_files"].Size(), 3u);
  EXPECT_EQ(json::str(c["patchset_files"][0]["url"]).rfind("file:///", 0), 0u);
  std::string first_id =
      sh("sed -n 's/^Message-I[dD]: <\\(.*\\)>$/\\1/p' patches/0001-*.patch", dir_.path());
  EXPECT_EQ(json::str(c["message_id"]), first_id);
  // The user's branch is untouched.
  EXPECT_EQ(sh("git rev-parse --abbrev-ref HEAD && git status --porcelain", repo_), "main");
  EXPECT_EQ(sh("git rev-parse HEAD", repo_), sh("git rev-parse v2.0^{commit}", repo_));
}

TEST_F(CheckoutE2E, ConflictingSeriesIsValidFalseWithExitZero) {
  RunResult r = kci(checkout_args("conflicting"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Reports reports = parse_reports(r.out);
  ASSERT_EQ(reports.checkouts(), 1u);
  const json::Value& c = reports.checkout(0);
  EXPECT_FALSE(c["valid"].GetBool());
  EXPECT_NE(json::str(c["log_excerpt"]).find("patch failed"), std::string::npos);
  EXPECT_NE(r.err.find("does not apply"), std::string::npos);
  EXPECT_EQ(sh("git worktree list | wc -l", repo_), "1");
}

TEST_F(CheckoutE2E, PublishedUrlsAndBadBase) {
  std::vector<std::string> args = checkout_args("v2.0");
  args.insert(args.end(), {"--patch-base-url", "https://patches.example.org/series-1"});
  RunResult r = kci(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Reports reports = parse_reports(r.out);
  ASSERT_EQ(reports.checkouts(), 1u);
  std::string url = std::string(json::str(reports.checkout(0)["patchset_files"][1]["url"]));
  EXPECT_EQ(url.rfind("https://patches.example.org/series-1/0002-", 0), 0u) << url;
  RunResult bad = kci(checkout_args("no-such-commit"));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("no such commit"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace kci
