// SPDX-License-Identifier: LGPL-2.1-or-later
// Load generator for the submission service: starts `kci serve` on a free
// loopback port over a fresh database, then N keep-alive clients (libcurl)
// send small reports (1 checkout, 5 builds, 50 tests) for a fixed time.
// Prints acknowledged submissions/s, p50/p99 acknowledgement latency, the
// time the spool takes to drain afterwards and the objects stored per
// second over the whole run.
//
//   server_bench [--seconds N] [--clients N] [--database SPEC | --postgresql]
//
// --postgresql runs over a throw-away PostgreSQL cluster (the store tests'
// one, which runs with fsync=off: its figures leave out the database's own
// flushes; the spool's are included).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "client/http_client.h"
#include "server_process.h"
#ifdef KCI_BENCH_POSTGRESQL
#include "store/pg_test_cluster.h"
#endif
#include "util/subprocess.h"

namespace {

namespace fs = std::filesystem;
using namespace kci::bench;

std::string small_report(const std::string& key) {
  std::string c = "bench:" + key;
  std::string out = R"({"version":{"major":5,"minor":3},"checkouts":[{"id":")" + c +
                    R"(","origin":"bench","tree_name":"mainline","valid":true}],"builds":[)";
  for (int b = 0; b < 5; ++b) {
    out +=
        std::string(b ? "," : "") + R"({"id":")" + c + ":b" + std::to_string(b) +
        R"(","checkout_id":")" + c +
        R"(","origin":"bench","architecture":"x86_64","config_name":"defconfig","status":"PASS"})";
  }
  out += R"(],"tests":[)";
  for (int b = 0; b < 5; ++b) {
    for (int t = 0; t < 10; ++t) {
      out += std::string(b || t ? "," : "") + R"({"id":")" + c + ":b" + std::to_string(b) + ":t" +
             std::to_string(t) + R"(","build_id":")" + c + ":b" + std::to_string(b) +
             R"(","origin":"bench","path":"baseline.t)" + std::to_string(t) +
             R"(","status":"PASS","duration":1.5})";
    }
  }
  return out + "]}";
}

double metric(kci::client::HttpClient& client, const std::string& url, const std::string& name) {
  std::string text = client.get(url + "/metrics").body;
  std::size_t at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::atof(text.c_str() + at + name.size() + 2);
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 10;
  int clients = 8;
  std::string database;
  bool postgresql = false;
  CLI::App app{
      "The submission service under concurrent clients: acknowledgement latency, "
      "submissions/s, drain (docs/performance.md, \"Submission service\")"};
  app.add_option("--seconds", seconds, "Seconds of load")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--clients", clients, "Concurrent clients")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  auto* db_option = app.add_option("--database", database, "Store (default: a SQLite file)");
  app.add_flag("--postgresql", postgresql, "Use the tests' throw-away PostgreSQL cluster")
      ->excludes(db_option);
  parse_args(app, argc, argv);
  fs::path dir = fs::path(KCI_BINARY_DIR) / "bench-server";
  fs::remove_all(dir);
  fs::create_directories(dir);
#ifdef KCI_BENCH_POSTGRESQL
  kci::store::testing::PgTestCluster cluster;
  if (postgresql) {
    if (!cluster.start()) {
      std::fprintf(stderr, "server_bench: no PostgreSQL: %s\n",
                   kci::store::testing::PgTestCluster::skip_reason().c_str());
      return 1;
    }
    database = cluster.create_database();
  }
#else
  if (postgresql) {
    std::fprintf(stderr, "server_bench: built without the PostgreSQL test cluster\n");
    return 1;
  }
#endif
  if (database.empty()) database = "sqlite:" + (dir / "bench.db").string();

  std::string token = kci::run_checked(
      {KCI_BINARY, "token", "add", "-d", database, "--origin", "bench", "--comment", "bench"});
  token = token.substr(token.rfind('\n') + 1);
  kci::server::testing::ServerProcess server(KCI_BINARY,
                                             {"-d", database, "--spool", (dir / "spool").string(),
                                              "--threads", std::to_string(clients + 8)},
                                             (dir / "server.log").string());
  server.start();
  std::string url = server.base_url();

  std::mutex mutex;
  std::vector<double> latencies_ms;
  std::atomic<long> refused{0};
  auto start = Clock::now();
  auto end = start + std::chrono::seconds(seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      kci::client::HttpClient client;
      std::vector<double> mine;
      for (long n = 0; Clock::now() < end; ++n) {
        std::string body = small_report("c" + std::to_string(c) + "n" + std::to_string(n));
        auto t0 = Clock::now();
        kci::client::HttpResponse r = client.post_json(url + "/submit", body, token);
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (r.status == 200)
          mine.push_back(ms);
        else
          refused.fetch_add(1);
      }
      std::lock_guard lock(mutex);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  double send_s = std::chrono::duration<double>(Clock::now() - start).count();

  kci::client::HttpClient client;
  auto drain_start = Clock::now();
  while (metric(client, url, "kci_spool_depth") > 0 &&
         Clock::now() - drain_start < std::chrono::minutes(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  double drain_s = std::chrono::duration<double>(Clock::now() - drain_start).count();
  double objects = 0;
  for (const char* type : {"checkouts", "builds", "tests"}) {
    objects += metric(client, url, std::string("kci_objects_loaded_total{type=\"") + type + "\"}");
  }
  double handled = metric(client, url, "kci_request_duration_seconds_count");
  double handling_s = metric(client, url, "kci_request_duration_seconds_sum");
  server.kill(SIGTERM);
#ifdef KCI_BENCH_POSTGRESQL
  if (postgresql) cluster.stop();
#endif

  double accepted = static_cast<double>(latencies_ms.size());
  std::printf("server_bench: %s, %d clients, %d s of load, reports of 56 objects\n",
              database.starts_with("sqlite") ? "SQLite" : "PostgreSQL", clients, seconds);
  std::printf("  acknowledged: %.0f submissions (%ld refused), %.0f submissions/s\n", accepted,
              refused.load(), accepted / send_s);
  std::printf("  acknowledgement latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
              percentile(latencies_ms, 0.50), percentile(latencies_ms, 0.99),
              percentile(latencies_ms, 1.0));
  std::printf("  server-side handling: mean %.2f ms over %.0f requests\n",
              handled > 0 ? handling_s / handled * 1000.0 : 0.0, handled);
  std::printf("  spool drained %.1f s after the load stopped\n", drain_s);
  std::printf("  stored: %.0f objects, %.0f objects/s over load + drain\n", objects,
              objects / (send_s + drain_s));
  return 0;
}
