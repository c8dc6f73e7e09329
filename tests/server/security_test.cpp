// SPDX-License-Identifier: LGPL-2.1-or-later
// The threat model of docs/security.md, against a real `kci serve`: every
// write route refuses requests without the right token (none, unknown,
// revoked, another role, another origin) and changes nothing; the route
// table is checked against the list below, so a new write route fails this
// test until it is listed; tokens are stored hashed; revocation reaches a
// running server; files are served only from their folders.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/http_client.h"
#include "server/server.h"
#include "server_process.h"
#include "util/file.h"
#include "util/sha256.h"
#include "util/subprocess.h"

namespace kci::server {
namespace {

using client::HttpClient;
using client::HttpRequest;
using client::HttpResponse;
namespace fs = std::filesystem;
using testing::ServerProcess;

const std::string kKci = KCI_BINARY;

std::string report_of(const std::string& origin) {
  return R"({"version":{"major":5,"minor":3},"checkouts":[{"id":")" + origin +
         R"(:c1","origin":")" + origin + R"(","tree_name":"mainline","valid":true}]})";
}

// A LAVA notify callback (dataset all) naming a build of origin `a`.
const char* kLavaBody =
    R"({"id":12,"status_string":"complete","definition":"device_type: qemu\njob_name: x\n)"
    R"(metadata:\n  kci.build_id: \"a:b1\"\n","results":{}})";

// Every write route of `kci serve`, with a body it would accept from the
// right token. A route the server registers that writes (or takes POST)
// and is not here fails EveryWriteRouteIsListed.
struct WriteRoute {
  std::string path;  // a concrete path matching the route's pattern
  RouteAccess access;
  std::string body;
};
const std::vector<WriteRoute>& write_routes() {
  static const std::vector<WriteRoute> routes = {
      {"/submit", RouteAccess::kSubmitter, report_of("a")},
      {"/callback/lava", RouteAccess::kLava, kLavaBody},
      {"/api/v1/worker/claim", RouteAccess::kWorker, R"({"worker":"w1"})"},
      {"/api/v1/worker/heartbeat", RouteAccess::kWorker, R"({"worker":"w1","node":1})"},
      {"/api/v1/worker/complete", RouteAccess::kWorker,
       R"({"worker":"w1","node":1,"result":"pass"})"},
  };
  return routes;
}

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(KCI_BINARY_DIR) / "tests" / "server" / "work" /
           ("security-" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "artifacts" / "run1");
    db_file_ = (dir_ / "results.db").string();
    db_ = "sqlite:" + db_file_;
    EXPECT_EQ(kci({"db", "init", "-d", db_}).exit_code, 0);
    tokens_["submitter-a"] = add_token({"a"}, "submitter");
    tokens_["submitter-b"] = add_token({"b"}, "submitter");
    tokens_["worker-a"] = add_token({"a"}, "worker");
    tokens_["lava-a"] = add_token({"a"}, "lava");
    std::string revoked_id;
    tokens_["revoked"] = add_token({"a"}, "submitter", &revoked_id);
    EXPECT_EQ(kci({"token", "revoke", "-d", db_, revoked_id}).exit_code, 0);
    std::ofstream(dir_ / "artifacts" / "run1" / "console.log") << "boot ok\n";
    std::ofstream(dir_ / "secret.txt") << "TOP-SECRET-CONTENT\n";
    server_ = std::make_unique<ServerProcess>(
        kKci,
        std::vector<std::string>{"-d", db_, "--spool", (dir_ / "spool").string(), "--quiet",
                                 "--no-live", "--artifacts", (dir_ / "artifacts").string()},
        (dir_ / "serve.log").string());
    server_->start();
  }
  void TearDown() override {
    if (server_) server_->kill(SIGTERM);
  }

  RunResult kci(std::vector<std::string> args) {
    args.insert(args.begin(), kKci);
    RunOptions options;
    options.unset_env = {"KCIDB_REST", "KCI_DATABASE"};
    options.timeout = std::chrono::minutes(2);
    return run_process(args, options);
  }

  std::string add_token(std::vector<std::string> origins, const std::string& role,
                        std::string* id = nullptr) {
    std::vector<std::string> args = {"token", "add", "-d", db_, "--role", role};
    for (const auto& o : origins) {
      args.push_back("--origin");
      args.push_back(o);
    }
    RunResult r = kci(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string out = r.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    if (id) *id = out.substr(4, out.find('\n') - 4);  // "id: X"
    return out.substr(out.rfind('\n') + 1);
  }

  // Every row of every table, and the spool's files: what a refused
  // request must not change.
  std::string snapshot() {
    RunResult r = run_process({"sqlite3", db_file_, ".dump"}, RunOptions{});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string rows;
    std::size_t start = 0;
    while (start < r.out.size()) {
      std::size_t end = r.out.find('\n', start);
      if (end == std::string::npos) end = r.out.size();
      std::string line = r.out.substr(start, end - start);
      if (line.rfind("INSERT", 0) == 0) rows += line + "\n";
      start = end + 1;
    }
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(dir_ / "spool", ec)) {
      rows += "spool: " + e.path().filename().string() + "\n";
    }
    return rows;
  }

  HttpResponse post(const std::string& path, const std::string& body,
                    const std::vector<std::string>& headers) {
    HttpRequest req;
    req.method = "POST";
    req.url = server_->base_url() + path;
    req.body = &body;
    req.headers = headers;
    HttpClient http;
    return http.send(req);
  }

  HttpResponse get(const std::string& path, const std::vector<std::string>& headers = {}) {
    HttpRequest req;
    req.url = server_->base_url() + path;
    req.headers = headers;
    HttpClient http;
    return http.send(req);
  }

  // The Authorization header a route takes a token in (LAVA sends the
  // secret alone; the others say Bearer).
  static std::vector<std::string> auth(const WriteRoute& route, const std::string& token) {
    if (route.access == RouteAccess::kLava) return {"Authorization: " + token};
    return {"Authorization: Bearer " + token};
  }

  fs::path dir_;
  std::string db_file_, db_;
  std::map<std::string, std::string> tokens_;
  std::unique_ptr<ServerProcess> server_;
};

// The server's route table against the list above, both ways.
TEST(RouteTable, EveryWriteRouteIsListed) {
  std::vector<RouteInfo> routes = Server::routes();
  ASSERT_FALSE(routes.empty());
  std::set<std::string> matched;
  for (const RouteInfo& r : routes) {
    EXPECT_TRUE(r.method == "GET" || r.method == "POST") << r.method << " " << r.pattern;
    if (r.method == "GET" && !r.writes) continue;
    // A write route: it needs a token of one role, and is listed.
    EXPECT_NE(r.access, RouteAccess::kPublic) << r.pattern << " writes without a token";
    EXPECT_NE(r.access, RouteAccess::kAnyToken) << r.pattern << " writes with any role";
    bool listed = false;
    for (const WriteRoute& w : write_routes()) {
      if (std::regex_match(w.path, std::regex(r.pattern))) {
        listed = true;
        matched.insert(w.path);
        EXPECT_EQ(w.access, r.access) << w.path;
      }
    }
    EXPECT_TRUE(listed) << r.method << " " << r.pattern
                        << " is a write route this test does not check: add it to write_routes()";
  }
  for (const WriteRoute& w : write_routes()) {
    EXPECT_TRUE(matched.count(w.path)) << w.path << " is listed but the server has no such route";
  }
}

TEST_F(SecurityTest, WriteRoutesRefuseWithoutTheRightToken) {
  std::string before = snapshot();
  ASSERT_NE(before.find("kci_tokens"), std::string::npos);
  int checked = 0;
  for (const WriteRoute& route : write_routes()) {
    struct Attempt {
      std::string what;
      std::vector<std::string> headers;
      long status;
    };
    std::vector<Attempt> attempts = {
        {"no token", {}, 401},
        {"an unknown token", auth(route, "kci_" + std::string(64, '0')), 401},
        {"a revoked token", auth(route, tokens_["revoked"]), 401},
        {"Basic credentials", {"Authorization: Basic " + tokens_["submitter-a"]}, 401},
        {"an over-long token", auth(route, std::string(300, 'x')), 401},
    };
    // Every token of another role, of the right origin.
    for (const auto& [name, role] :
         std::vector<std::pair<std::string, RouteAccess>>{{"submitter-a", RouteAccess::kSubmitter},
                                                          {"worker-a", RouteAccess::kWorker},
                                                          {"lava-a", RouteAccess::kLava}}) {
      if (role != route.access) {
        attempts.push_back({"the " + name + " token", auth(route, tokens_[name]), 403});
      }
    }
    for (const Attempt& a : attempts) {
      HttpResponse r = post(route.path, route.body, a.headers);
      EXPECT_EQ(r.status, a.status)
          << "POST " << route.path << " with " << a.what << ": " << r.body;
      ++checked;
    }
  }
  EXPECT_GE(checked, 5 * 7);
  EXPECT_EQ(snapshot(), before) << "a refused request changed the store or the spool";
}

TEST_F(SecurityTest, TokensWriteOnlyTheirOrigins) {
  std::string before = snapshot();
  // A submitter of origin b sending objects of origin a.
  HttpResponse r =
      post("/submit", report_of("a"), {"Authorization: Bearer " + tokens_["submitter-b"]});
  EXPECT_EQ(r.status, 403) << r.body;
  // A LAVA token of origin a writing for origin b.
  r = post("/callback/lava?origin=b", kLavaBody, {"Authorization: " + tokens_["lava-a"]});
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(snapshot(), before);
  // The positive control: the right token is accepted and the snapshot
  // sees the change (so the comparisons above can fail).
  r = post("/submit", report_of("a"), {"Authorization: Bearer " + tokens_["submitter-a"]});
  EXPECT_EQ(r.status, 200) << r.body;
  std::string after;
  for (int i = 0; i < 200 && (after = snapshot()) == before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(after, before) << "an accepted submission did not show in the snapshot";
}

TEST_F(SecurityTest, RevocationReachesTheRunningServer) {
  std::string id;
  std::string token = add_token({"a"}, "submitter", &id);
  std::vector<std::string> header = {"Authorization: Bearer " + token};
  EXPECT_EQ(get("/authtest", header).status, 200);
  ASSERT_EQ(kci({"token", "revoke", "-d", db_, id}).exit_code, 0);
  // Known tokens are cached for one second (server.cpp): refused after it.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_EQ(get("/authtest", header).status, 401);
  HttpResponse r = post("/submit", report_of("a"), header);
  EXPECT_EQ(r.status, 401) << r.body;
}

TEST_F(SecurityTest, TokensAreStoredHashed) {
  std::string dump = run_process({"sqlite3", db_file_, ".dump"}, RunOptions{}).out;
  std::string bytes;
  for (const char* suffix : {"", "-wal", "-journal"}) {
    std::error_code ec;
    if (fs::exists(db_file_ + suffix, ec)) bytes += read_file(db_file_ + suffix);
  }
  for (const auto& [name, token] : tokens_) {
    ASSERT_EQ(token.rfind("kci_", 0), 0u) << name;
    EXPECT_EQ(dump.find(token), std::string::npos) << name << "'s token is stored in clear";
    EXPECT_EQ(bytes.find(token), std::string::npos) << name << "'s token is in the file";
    EXPECT_EQ(bytes.find(token.substr(4)), std::string::npos) << name;
    EXPECT_NE(dump.find(sha256_hex(token)), std::string::npos) << name << "'s hash is not stored";
  }
}

TEST_F(SecurityTest, FilesAreServedOnlyFromTheirFolders) {
  HttpResponse ok = get("/artifacts/run1/console.log");
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("boot ok"), std::string::npos);
  fs::create_symlink(dir_ / "secret.txt", dir_ / "artifacts" / "run1" / "link.log");
  for (const char* path : {
           "/artifacts/../secret.txt",
           "/artifacts/run1/../../secret.txt",
           "/artifacts/%2e%2e/secret.txt",
           "/artifacts/run1%2F..%2F..%2Fsecret.txt",
           "/artifacts/run1/%2e%2e/%2e%2e/secret.txt",
           "/artifacts/run1/..%5C..%5Csecret.txt",
           "/artifacts/run1/link.log",
           "/artifacts/run1/console.log%00.html",
           "/artifacts//etc/passwd",
           "/static/../../secret.txt",
           "/static/%2e%2e/%2e%2e/secret.txt",
           "/log/build/..%2F..%2Fsecret.txt",
           "/log/test/../../secret.txt",
       }) {
    HttpResponse r = get(path);
    EXPECT_NE(r.status, 200) << path;
    EXPECT_EQ(r.body.find("TOP-SECRET"), std::string::npos) << path;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << path;
  }
}

TEST_F(SecurityTest, ReadRoutesTakeNoWrites) {
  std::string before = snapshot();
  // POST to every GET route's concrete path: no handler (404/405).
  for (const char* path : {"/status", "/authtest", "/api/v1/query", "/api/v1/checkouts/a:c1",
                           "/metrics", "/healthz", "/", "/trees", "/artifacts/run1/console.log"}) {
    HttpResponse r =
        post(path, report_of("a"), {"Authorization: Bearer " + tokens_["submitter-a"]});
    EXPECT_TRUE(r.status == 404 || r.status == 405) << "POST " << path << ": " << r.status;
  }
  EXPECT_EQ(snapshot(), before);
}

}  // namespace
}  // namespace kci::server
