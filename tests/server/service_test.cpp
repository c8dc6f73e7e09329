// SPDX-License-Identifier: LGPL-2.1-or-later
// The submission service end to end: a real `kci serve` on loopback, real
// `kci submit` / `kci token` / `kci db dump` runs, raw sockets for the
// misbehaving clients. SQLite throughout; the round trip and the crash test
// run on PostgreSQL too, in the store's throw-away cluster when it starts.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/http_client.h"
#include "report/json.h"
#include "report/model.h"
#include "report/stream.h"
#include "report/upgrade.h"
#include "server_process.h"
#include "store/pg_test_cluster.h"
#include "util/file.h"
#include "util/subprocess.h"
#include "util/test_support.h"

namespace kci::server {
namespace {

using client::HttpClient;
using client::HttpResponse;

namespace fs = std::filesystem;
using testing::ServerProcess;

const std::string kKci = KCI_BINARY;
const fs::path kSamples = fs::path(KCI_SOURCE_DIR) / ".." / "shared" / "kcidb-samples";

// A v5.3 report of one checkout with `builds` builds of `tests` tests each.
std::string small_report(const std::string& origin, const std::string& key, int builds, int tests) {
  std::string c = origin + ":" + key;
  std::string out =
      R"({"version":{"major":5,"minor":3},"checkouts":[{"id":")" + c + R"(","origin":")" + origin +
      R"(","tree_name":"mainline","git_commit_hash":"0123456789abcdef0123456789abcdef01234567","valid":true}],"builds":[)";
  for (int b = 0; b < builds; ++b) {
    out += std::string(b ? "," : "") + R"({"id":")" + c + ":b" + std::to_string(b) +
           R"(","checkout_id":")" + c + R"(","origin":")" + origin +
           R"(","architecture":"x86_64","status":"PASS"})";
  }
  out += R"(],"tests":[)";
  for (int b = 0; b < builds; ++b) {
    for (int t = 0; t < tests; ++t) {
      out += std::string(b || t ? "," : "") + R"({"id":")" + c + ":b" + std::to_string(b) + ":t" +
             std::to_string(t) + R"(","build_id":")" + c + ":b" + std::to_string(b) +
             R"(","origin":")" + origin + R"(","path":"boot.t)" + std::to_string(t) +
             R"(","status":"PASS"})";
    }
  }
  return out + "]}";
}

// A JSON value with object members sorted by name, recursively: stores may
// keep free-form JSON (misc) with its members reordered (PostgreSQL JSONB).
void sort_members(json::Value& v) {
  if (v.IsObject()) {
    std::sort(v.MemberBegin(), v.MemberEnd(),
              [](const auto& a, const auto& b) { return json::str(a.name) < json::str(b.name); });
    for (auto& m : v.GetObject()) sort_members(m.value);
  } else if (v.IsArray()) {
    for (auto& item : v.GetArray()) sort_members(item);
  }
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(KCI_BINARY_DIR) / "tests" / "server" / "work" /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = "sqlite:" + (dir_ / "results.db").string();
  }

  RunResult kci(std::vector<std::string> args, std::optional<std::string> input = {},
                std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), kKci);
    RunOptions options;
    options.stdin_data = std::move(input);
    options.env = std::move(env);
    options.unset_env = {"KCIDB_REST", "KCI_DATABASE"};
    options.timeout = std::chrono::minutes(5);
    return run_process(args, options);
  }

  // Makes a token and returns it (the last line of stdout).
  std::string add_token(std::vector<std::string> origins, bool admin = false,
                        std::string* id = nullptr) {
    std::vector<std::string> args = {"token", "add", "-d", db_, "--comment", "test"};
    for (const auto& o : origins) {
      args.push_back("--origin");
      args.push_back(o);
    }
    if (admin) args.push_back("--admin");
    RunResult r = kci(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string out = r.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    if (id) {
      *id = out.substr(4, out.find('\n') - 4);  // "id: X"
    }
    return out.substr(out.rfind('\n') + 1);
  }

  void start_server(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"-d", db_, "--spool", (dir_ / "spool").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    server_ = std::make_unique<ServerProcess>(kKci, args, (dir_ / "server.log").string());
    server_->start();
  }

  HttpResponse submit(const std::string& body, const std::string& token) {
    HttpClient client;
    return client.post_json(server_->base_url() + "/submit", body, token);
  }

  double metric(const std::string& line_prefix) {
    HttpClient client;
    std::string text = client.get(server_->base_url() + "/metrics").body;
    std::size_t at = text.find("\n" + line_prefix + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + line_prefix.size() + 2));
  }

  void wait_drained() {
    for (int i = 0; i < 1200; ++i) {
      if (metric("kci_spool_depth") == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "the spool did not drain";
  }

  // Every object of the store, by "list/id[@version]", as canonical JSON.
  std::map<std::string, std::string> dump() {
    RunResult r = kci({"db", "dump", "-d", db_, "--without-metadata", "--indent", "0"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, std::string> objects;
    report::JsonStreamReader reader(r.out, "dump");
    while (auto v = reader.next()) add_objects(v->doc, objects, nullptr);
    return objects;
  }

  // Canonical objects of a valid report (upgraded to v5.3 through the model).
  static void add_objects(json::Document& doc, std::map<std::string, std::string>& into,
                          std::set<std::string>* duplicates) {
    report::upgrade_report(doc);
    json::Document canonical;
    report::to_json(report::from_json(doc), canonical, false);
    sort_members(canonical);
    for (report::ObjectType type : report::kObjectTypes) {
      const char* list = report::list_name(type);
      if (!canonical.HasMember(list)) continue;
      for (const auto& o : canonical[list].GetArray()) {
        std::string key = std::string(list) + "/" + std::string(json::str(o["id"]));
        if (o.HasMember("version")) key += "@" + std::to_string(o["version"].GetInt64());
        if (into.count(key) && duplicates) duplicates->insert(key);
        into[key] = json::write(o);
      }
    }
  }

  void round_trip();
  void crash_and_resume();

  fs::path dir_;
  std::string db_;
  std::unique_ptr<ServerProcess> server_;
};

// Switches the test to a fresh PostgreSQL database; false (after
// skipping, or failing under CI=true) when there is no cluster.
#define USE_POSTGRESQL_OR_SKIP()                                                       \
  do {                                                                                 \
    auto* cluster = store::testing::PgTestCluster::get();                              \
    if (!cluster) KCI_MISSING_REAL_PART(store::testing::PgTestCluster::skip_reason()); \
    db_ = cluster->create_database();                                                  \
  } while (0)

TEST_F(ServiceTest, RoundTripThroughSubmitReadApiAndDump) { round_trip(); }

TEST_F(ServiceTest, RoundTripOnPostgresql) {
  USE_POSTGRESQL_OR_SKIP();
  round_trip();
}

void ServiceTest::round_trip() {
  std::string token = add_token({}, /*admin=*/true);
  start_server();
  std::vector<fs::path> inputs;
  write_file_atomic((dir_ / "small.json").string(),
                    small_report("lab", "one", 2, 3) + small_report("lab", "two", 1, 1));
  inputs.push_back(dir_ / "small.json");
  bool have_samples = fs::exists(kSamples);
  if (have_samples) {
    for (const char* name :
         {"kcidb-2019-cki.v05_03-derived.json", "kcidb-2019-kernelci.v05_03-derived.json"}) {
      inputs.push_back(kSamples / name);
    }
  } else {
    std::fprintf(stderr, "note: %s absent: the samples are not part of this run\n",
                 kSamples.c_str());
  }
  std::vector<std::string> args = {
      "submit", "--url", "http://" + token + "@127.0.0.1:" + std::to_string(server_->port()),
      "--wait"};
  for (const auto& p : inputs) args.push_back(p.string());
  RunResult r = kci(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), have_samples ? 4 : 2) << r.out;

  std::map<std::string, std::string> expected;
  std::set<std::string> duplicates;
  for (const auto& p : inputs) {
    report::JsonStreamReader reader(read_file(p.string()), p.string());
    while (auto v = reader.next()) add_objects(v->doc, expected, &duplicates);
  }
  std::map<std::string, std::string> stored = dump();
  ASSERT_EQ(stored.size(), expected.size());
  for (const auto& [key, object] : expected) {
    ASSERT_TRUE(stored.count(key)) << key;
    if (!duplicates.count(key)) {
      EXPECT_EQ(stored[key], object) << key;
    }
  }

  // The read API answers the same objects, with parents and children.
  HttpClient client;
  HttpResponse one =
      client.get(server_->base_url() + "/api/v1/builds/lab:one:b1?children=1&parents=1");
  ASSERT_EQ(one.status, 200) << one.body;
  json::Document doc;
  doc.Parse(one.body.c_str());
  std::map<std::string, std::string> answered;
  add_objects(doc, answered, nullptr);
  EXPECT_EQ(answered.size(), 1u + 1u + 3u);  // the checkout, the build, its tests
  for (const auto& [key, object] : answered) EXPECT_EQ(object, expected[key]) << key;

  HttpResponse query = client.get(server_->base_url() +
                                  "/api/v1/query?checkout=lab:one&checkout=lab:two&children=1");
  ASSERT_EQ(query.status, 200);
  json::Document qdoc;
  qdoc.Parse(query.body.c_str());
  std::map<std::string, std::string> queried;
  add_objects(qdoc, queried, nullptr);
  EXPECT_EQ(queried.size(), (1u + 2u + 6u) + (1u + 1u + 1u));
  EXPECT_EQ(client.get(server_->base_url() + "/api/v1/tests/nope:nope").status, 404);
  EXPECT_EQ(client.get(server_->base_url() + "/healthz").body, "OK");
}

TEST_F(ServiceTest, RefusesMissingWrongRevokedAndForeignTokensWhole) {
  std::string revoked_id;
  std::string token_a = add_token({"a"});
  std::string revoked = add_token({"a"}, false, &revoked_id);
  ASSERT_EQ(kci({"token", "revoke", "-d", db_, revoked_id}).exit_code, 0);
  start_server();
  std::string report_a = small_report("a", "x", 1, 1);
  std::string report_b = small_report("b", "x", 1, 1);
  std::string mixed = R"({"version":{"major":5,"minor":3},"checkouts":[)"
                      R"({"id":"a:m","origin":"a"},{"id":"b:m","origin":"b"}]})";

  EXPECT_EQ(submit(report_a, "").status, 401);
  EXPECT_EQ(submit(report_a, "kci_0000000000000000000000000000000000000000000000000000000000000000")
                .status,
            401);
  EXPECT_EQ(submit(report_a, revoked).status, 401);
  HttpResponse foreign = submit(report_b, token_a);
  EXPECT_EQ(foreign.status, 403);
  EXPECT_NE(foreign.body.find("origin(s): b;"), std::string::npos) << foreign.body;
  EXPECT_EQ(submit(mixed, token_a).status, 403);

  // kci submit says so too, and exits 1.
  RunResult r = kci(
      {"submit", "--url", "http://" + token_a + "@127.0.0.1:" + std::to_string(server_->port())},
      report_b);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(r.out.empty());

  EXPECT_EQ(metric("kci_submissions_accepted_total"), 0);
  EXPECT_TRUE(dump().empty());

  // The right token works; and the log names it by comment, never itself.
  EXPECT_EQ(submit(report_a, token_a).status, 200);
  wait_drained();
  EXPECT_EQ(dump().size(), 3u);
  std::string log = read_file((dir_ / "server.log").string());
  EXPECT_EQ(log.find(token_a), std::string::npos);
  EXPECT_EQ(log.find(revoked), std::string::npos);
  EXPECT_NE(log.find("POST /submit 200"), std::string::npos) << log;
}

TEST_F(ServiceTest, ResumesTheSpoolAndAnswersStatus) {
  std::string token = add_token({"lab"});
  std::string revoked_id;
  std::string later_revoked = add_token({"lab"}, false, &revoked_id);
  // Left in the spool by a previous run: one good submission, one that
  // cannot be loaded, one half-written (never acknowledged).
  fs::path spool = dir_ / "spool";
  fs::create_directories(spool);
  std::string good = "0123456789abcdef0123456789abcdef";
  std::string bad = "fedcba9876543210fedcba9876543210";
  write_file_atomic((spool / ("submission-" + good + ".json")).string(),
                    small_report("lab", "left", 1, 2));
  write_file_atomic((spool / ("submission-" + bad + ".json")).string(), "{\"version\":");
  write_file_atomic((spool / "submission-aaaa.json.temp").string(), "{");
  start_server();
  wait_drained();
  EXPECT_FALSE(fs::exists(spool / "submission-aaaa.json.temp"));

  HttpClient client;
  auto status = [&](const std::string& id, const std::string& with) {
    return client.get(server_->base_url() + "/status?id=" + id, with);
  };
  HttpResponse processed = status(good, token);
  EXPECT_EQ(processed.status, 200);
  EXPECT_NE(processed.body.find("\"status\":\"processed\""), std::string::npos) << processed.body;
  HttpResponse failed = status(bad, token);
  EXPECT_EQ(failed.status, 200);
  EXPECT_NE(failed.body.find("\"status\":\"failed\""), std::string::npos) << failed.body;
  EXPECT_NE(failed.body.find("not valid JSON"), std::string::npos) << failed.body;
  EXPECT_EQ(status("0000", token).status, 404);
  EXPECT_EQ(status("../x", token).status, 400);
  EXPECT_EQ(status(good, "").status, 401);
  EXPECT_EQ(dump().size(), 1u + 1u + 2u);

  // A token revoked while the server runs is refused within a second or so.
  std::string report = small_report("lab", "live", 1, 1);
  EXPECT_EQ(submit(report, later_revoked).status, 200);
  ASSERT_EQ(kci({"token", "revoke", "-d", db_, revoked_id}).exit_code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(submit(report, later_revoked).status, 401);
}

// Sends raw bytes on a new connection; returns what the server answered
// before closing, waiting at most `wait`; *answered_after is when the first
// answer byte or the close came.
std::string raw_exchange(int port, const std::string& bytes, bool close_write,
                         std::chrono::milliseconds wait, std::chrono::milliseconds* closed_after) {
  if (closed_after) *closed_after = std::chrono::milliseconds(-1);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "<connect failed>";
  }
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(wait.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((wait.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto start = std::chrono::steady_clock::now();
  (void)!::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (close_write) ::shutdown(fd, SHUT_WR);
  std::string answer;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n >= 0 && closed_after && closed_after->count() < 0) {
      // The server answered (an error) or hung up: either ends the client.
      *closed_after = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
    }
    if (n <= 0) break;
    answer.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return answer;
}

TEST_F(ServiceTest, BadInputIsRefusedAndTheServerStaysUp) {
  std::string token = add_token({"lab"});
  start_server({"--max-body-size", "1", "--read-timeout", "1"});
  std::string good = small_report("lab", "good", 1, 1);

  HttpResponse not_json = submit("{\"version\": ", token);
  EXPECT_EQ(not_json.status, 400) << not_json.body;
  HttpResponse invalid =
      submit(R"({"version":{"major":5,"minor":3},"builds":[{"id":"lab:b"}]})", token);
  EXPECT_EQ(invalid.status, 400);
  EXPECT_NE(invalid.body.find("\"pointer\":\"/builds/0"), std::string::npos) << invalid.body;
  std::string huge = small_report("lab", "huge", 1, 1);
  huge.insert(huge.size() - 1, ",\"issues\":[],\"x\":\"" + std::string(2 << 20, 'x') + "\"");
  EXPECT_EQ(submit(huge, token).status, 413);

  std::string port = std::to_string(server_->port());
  std::string headers = "POST /submit HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                        token + "\r\nConnection: close\r\n";
  std::string form = raw_exchange(server_->port(),
                                  headers + "Content-Type: text/plain\r\nContent-Length: " +
                                      std::to_string(good.size()) + "\r\n\r\n" + good,
                                  false, std::chrono::seconds(5), nullptr);
  EXPECT_NE(form.find("HTTP/1.1 415"), std::string::npos) << form;
  std::string truncated =
      raw_exchange(server_->port(),
                   headers + "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n" +
                       good.substr(0, good.size() / 2),
                   true, std::chrono::seconds(5), nullptr);
  EXPECT_EQ(truncated.find("HTTP/1.1 200"), std::string::npos) << truncated;
  std::chrono::milliseconds closed_after{-1};
  std::string slow = raw_exchange(server_->port(), "POST /submit HTTP/1.1\r\nHost: x\r\n", false,
                                  std::chrono::seconds(8), &closed_after);
  EXPECT_GE(closed_after.count(), 500) << slow;
  EXPECT_LT(closed_after.count(), 3000) << slow;
  EXPECT_EQ(slow.find("HTTP/1.1 200"), std::string::npos) << slow;

  EXPECT_EQ(metric("kci_submissions_accepted_total"), 0);
  EXPECT_TRUE(dump().empty());
  HttpClient client;
  EXPECT_EQ(client.get(server_->base_url() + "/healthz").status, 200);
  HttpResponse ok = submit(good, token);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_GE(metric("kci_submissions_rejected_total{reason=\"too_large\"}"), 1);
}

TEST_F(ServiceTest, AcknowledgedSubmissionsSurviveKill9) { crash_and_resume(); }

TEST_F(ServiceTest, AcknowledgedSubmissionsSurviveKill9OnPostgresql) {
  USE_POSTGRESQL_OR_SKIP();
  crash_and_resume();
}

void ServiceTest::crash_and_resume() {
  std::string token = add_token({"lab"});
  start_server({"--quiet"});
  std::mutex mutex;
  std::vector<std::string> acknowledged;  // checkout ids
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      HttpClient client;
      client.set_timeout(std::chrono::milliseconds(5000));
      for (int n = 0; !stop && n < 100000; ++n) {
        std::string key = "c" + std::to_string(c) + "n" + std::to_string(n);
        HttpResponse r = client.post_json(server_->base_url() + "/submit",
                                          small_report("lab", key, 2, 5), token);
        if (r.status == 0) break;  // the server is gone
        if (r.status == 200) {
          std::lock_guard lock(mutex);
          acknowledged.push_back("lab:" + key);
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  server_->kill(SIGKILL);
  stop = true;
  for (auto& t : clients) t.join();
  ASSERT_GT(acknowledged.size(), 20u);

  start_server({"--quiet"});
  wait_drained();
  std::map<std::string, std::string> stored = dump();
  for (const auto& id : acknowledged) {
    ASSERT_TRUE(stored.count("checkouts/" + id)) << id << " was acknowledged but is not stored";
    ASSERT_TRUE(stored.count("tests/" + id + ":b1:t4")) << id;
  }
  // Every stored report is whole: objects come in groups of 1 + 2 + 10, and
  // the dump (keyed by id) cannot hold one twice.
  EXPECT_EQ(stored.size() % 13, 0u);
  EXPECT_GE(stored.size(), acknowledged.size() * 13);
}

}  // namespace
}  // namespace kci::server
