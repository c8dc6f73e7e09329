// SPDX-License-Identifier: LGPL-2.1-or-later
// Fetching logs over HTTP from a real server on loopback.
#include "triage/log_fetch.h"

#include <unistd.h>

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

namespace kci::triage {
namespace {

namespace fs = std::filesystem;

class HttpLogs : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/log", [this](const httplib::Request&, httplib::Response& res) {
      ++hits_;
      res.set_content("[ 1.0] WARNING: CPU: 0 PID: 1 at a.c:1 kci_fn+0x1/0x2\n", "text/plain");
    });
    server_.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(5 << 20, 'x'), "text/plain");
    });
    // Redirects: to our own /log by host name, and to another address.
    server_.Get("/to-localhost", [this](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("http://localhost:" + std::to_string(port_) + "/log");
    });
    server_.Get("/to-ipv6-loopback", [this](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("http://[::1]:" + std::to_string(port_) + "/log");
    });
    server_.Get("/to-file", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("file:///etc/passwd");
    });
    server_.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::seconds(3));
      res.set_content("late", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    cache_ = fs::temp_directory_path() / ("kci-log-cache-" + std::to_string(::getpid()));
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
    fs::remove_all(cache_);
  }
  std::string url(const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> hits_{0};
  fs::path cache_;
};

// The operator's permission for the test server's address.
FetchOptions loopback_allowed() {
  FetchOptions o;
  o.policy.networks = {"127.0.0.1"};
  return o;
}

TEST_F(HttpLogs, LoopbackIsRefusedUnlessAllowed) {
  FetchOptions o;  // the default policy: public addresses only
  try {
    fetch_log(url("/log"), o, [](std::string_view) { ADD_FAILURE() << "the sink got data"; });
    ADD_FAILURE() << "a loopback log was fetched without permission";
  } catch (const FetchError& e) {
    EXPECT_NE(std::string(e.what()).find("connection to 127.0.0.1 refused"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(hits_.load(), 0);          // no request reached the server
  o.policy.networks = {"10.0.0.0/8"};  // another network does not open loopback
  EXPECT_THROW(fetch_log(url("/log"), o, [](std::string_view) {}), FetchError);
  EXPECT_EQ(hits_.load(), 0);
  std::string got;
  fetch_log(url("/log"), loopback_allowed(), [&got](std::string_view c) { got += c; });
  EXPECT_NE(got.find("WARNING"), std::string::npos);
  EXPECT_EQ(hits_.load(), 1);
}

TEST_F(HttpLogs, RedirectsAreCheckedAgain) {
  FetchOptions o = loopback_allowed();
  // An allowed address redirecting to one that is not: refused before connecting.
  try {
    fetch_log(url("/to-ipv6-loopback"), o, [](std::string_view) {});
    ADD_FAILURE() << "the redirect to [::1] was followed";
  } catch (const FetchError& e) {
    EXPECT_NE(std::string(e.what()).find("::1 refused"), std::string::npos) << e.what();
  }
  EXPECT_THROW(fetch_log(url("/to-file"), o, [](std::string_view) {}), FetchError);
  // Host names: the redirect's host must be allowed too.
  o.policy.hosts = {"127.0.0.1"};
  try {
    fetch_log(url("/to-localhost"), o, [](std::string_view) {});
    ADD_FAILURE() << "the redirect to localhost was followed";
  } catch (const FetchError& e) {
    EXPECT_NE(std::string(e.what()).find("redirect to http://localhost"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(hits_.load(), 0);
  o.policy.hosts = {"127.0.0.1", "localhost"};
  std::string got;
  fetch_log(url("/to-localhost"), o, [&got](std::string_view c) { got += c; });
  EXPECT_NE(got.find("WARNING"), std::string::npos);
  o.policy.hosts = {"example.org"};
  EXPECT_THROW(fetch_log(url("/log"), o, [](std::string_view) {}), FetchError);
  EXPECT_TRUE(host_allowed("https://logs.example.org/x", {".example.org"}));
  EXPECT_FALSE(host_allowed("https://evil-example.org/x", {".example.org"}));
  EXPECT_FALSE(host_allowed("https://example.org.evil.net/x", {"example.org"}));
  EXPECT_TRUE(host_allowed("https://user@EXAMPLE.org:8443/x", {"example.org"}));
}

TEST(LogFetchPolicy, LocalFilesOnlyWhereAllowed) {
  fs::path root = fs::temp_directory_path() / ("kci-fetch-root-" + std::to_string(::getpid()));
  fs::create_directories(root / "logs");
  std::ofstream(root / "logs" / "a.log") << "line\n";
  std::ofstream(root / "secret") << "secret\n";
  fs::create_symlink(root / "secret", root / "logs" / "link.log");
  FetchOptions o;
  o.policy.file_roots = {(root / "logs").string()};
  std::string got;
  fetch_log("file://" + (root / "logs" / "a.log").string(), o,
            [&got](std::string_view c) { got += c; });
  EXPECT_EQ(got, "line\n");
  // Outside the root: by "..", by a symbolic link, by an absolute path.
  for (const std::string& bad : {"file://" + (root / "logs" / ".." / "secret").string(),
                                 "file://" + (root / "logs" / "link.log").string(),
                                 (root / "secret").string(), std::string("file:///etc/passwd")}) {
    EXPECT_THROW(fetch_log(bad, o, [](std::string_view) { ADD_FAILURE(); }), FetchError) << bad;
  }
  o.policy.files = false;
  o.policy.file_roots.clear();
  EXPECT_THROW(fetch_log("file://" + (root / "logs" / "a.log").string(), o,
                         [](std::string_view) { ADD_FAILURE(); }),
               FetchError);
  fs::remove_all(root);
}

TEST_F(HttpLogs, FetchesAndCachesByUrl) {
  FetchOptions o = loopback_allowed();
  o.cache_dir = cache_.string();
  std::string got;
  FetchResult r = fetch_log(url("/log"), o, [&got](std::string_view c) { got += c; });
  EXPECT_NE(got.find("WARNING"), std::string::npos);
  EXPECT_FALSE(r.from_cache);
  got.clear();
  r = fetch_log(url("/log"), o, [&got](std::string_view c) { got += c; });
  EXPECT_TRUE(r.from_cache);
  EXPECT_NE(got.find("WARNING"), std::string::npos);
  EXPECT_EQ(hits_.load(), 1);
}

TEST_F(HttpLogs, SizeAndTimeLimits) {
  FetchOptions o = loopback_allowed();
  o.max_bytes = 1 << 20;
  std::size_t n = 0;
  FetchResult r = fetch_log(url("/big"), o, [&n](std::string_view c) { n += c.size(); });
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(n, std::size_t{1} << 20);
  o.timeout_seconds = 1;
  EXPECT_THROW(fetch_log(url("/slow"), o, [](std::string_view) {}), FetchError);
  EXPECT_THROW(fetch_log(url("/missing"), o, [](std::string_view) {}), FetchError);
}

}  // namespace
}  // namespace kci::triage
