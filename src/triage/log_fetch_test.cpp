// SPDX-License-Identifier: LGPL-2.1-or-later
// Fetching logs over HTTP from a real server on loopback.
#include "triage/log_fetch.h"

#include <unistd.h>

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <filesystem>
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

TEST_F(HttpLogs, FetchesAndCachesByUrl) {
  FetchOptions o;
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
  FetchOptions o;
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
