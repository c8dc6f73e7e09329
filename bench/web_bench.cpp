// SPDX-License-Identifier: LGPL-2.1-or-later
// web_bench: the dashboard's pages under load. Generates a SQLite database
// of KernelCI-shaped results (tests/web/generator.h; kept with --db for the
// next run), starts `kci serve` in-process on a loopback port and lets N
// keep-alive clients (libcurl) fetch the pages for a while: trees,
// checkout, build, test (with its history), the trees JSON twin, and the
// pages over the analysis tables (regressions, compare, hardware, per-tree
// plots; the analysis is rebuilt after generating). Prints
// p50/p95/p99/max latency and the largest body per page. --database SPEC
// runs on another store (e.g. PostgreSQL; generated when it has no
// checkouts). See docs/performance.md.
#include <sys/resource.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "analysis/analyzer.h"
#include "bench_util.h"
#include "client/http_client.h"
#include "generator.h"
#include "server/server.h"
#include "store/sql.h"
#include "store/store.h"
#include "web/dashboard.h"
#include "web/html.h"

using namespace kci;
using namespace kci::bench;

int main(int argc, char** argv) {
  std::string db_path, database;
  webtest::GeneratorOptions gen;
  gen.branches = 8;
  gen.checkouts_per_branch = 25;
  gen.tests_per_platform = 500;  // 8 x 25 x 5 configs x 2 platforms x 500 = 1M tests
  int clients = 16;
  double seconds = 20;
  CLI::App app{
      "The dashboard's pages under concurrent clients: latency per page and the "
      "largest body (docs/performance.md, \"Dashboard\")"};
  auto* db_option =
      app.add_option("--db", db_path, "SQLite file: generated if new, kept for the next run");
  app.add_option("--database", database, "Another store (e.g. PostgreSQL)")->excludes(db_option);
  app.add_option("--branches", gen.branches, "Branches generated")->capture_default_str();
  app.add_option("--checkouts", gen.checkouts_per_branch, "Checkouts per branch")
      ->capture_default_str();
  app.add_option("--tests", gen.tests_per_platform, "Tests per platform")->capture_default_str();
  app.add_option("--clients", clients, "Concurrent clients")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--seconds", seconds, "Seconds of load")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  parse_args(app, argc, argv);
  bool temporary = db_path.empty() && database.empty();
  if (temporary) {
    db_path = (std::filesystem::temp_directory_path() /
               ("kci-web-bench-" + std::to_string(::getpid()) + ".db"))
                  .string();
  }
  if (!database.empty()) {
    db_path =
        (std::filesystem::temp_directory_path() / ("kci-web-bench-" + std::to_string(::getpid())))
            .string();
  }
  store::DatabaseSpec spec =
      store::parse_database_spec(database.empty() ? "sqlite:" + db_path : database);
  try {
    bool empty = true;
    {
      auto s = store::open_store(spec);
      s->init(true);
      auto db = store::SqlConnection::open(spec);
      db->exec("SELECT COUNT(*) FROM (SELECT id FROM checkouts LIMIT 1) x", {},
               [&](const store::SqlRow& r) { empty = r.integer(0) == 0; });
    }
    if (empty) {
      auto t0 = Clock::now();
      auto s = store::open_store(spec);
      std::size_t n = webtest::generate(gen, [&](report::Report& r) { s->load(r); });
      std::printf("generated %zu tests in %.1f s\n", n,
                  std::chrono::duration<double>(Clock::now() - t0).count());
      t0 = Clock::now();
      auto sql = store::SqlConnection::open(spec);
      analysis::Analyzer analyzer(*s, *sql);
      analyzer.rebuild();
      std::printf("analysis rebuilt in %.1f s\n",
                  std::chrono::duration<double>(Clock::now() - t0).count());
    }
    // Ids to visit.
    std::vector<std::string> checkouts, builds, tests, trees;
    {
      auto db = store::SqlConnection::open(spec);
      std::size_t total_tests = 0;
      db->exec("SELECT COUNT(*) FROM tests", {}, [&](const store::SqlRow& r) {
        total_tests = static_cast<std::size_t>(r.integer(0));
      });
      db->exec("SELECT id FROM checkouts ORDER BY start_time DESC LIMIT 200", {},
               [&](const store::SqlRow& r) { checkouts.emplace_back(r.text(0)); });
      for (std::size_t i = 0; i < checkouts.size(); i += 4) {
        db->exec("SELECT id FROM builds WHERE checkout_id = $1", {checkouts[i]},
                 [&](const store::SqlRow& r) { builds.emplace_back(r.text(0)); });
      }
      for (std::size_t i = 0; i < builds.size() && tests.size() < 400; i += 3) {
        db->exec("SELECT id FROM tests WHERE build_id = $1 LIMIT 8", {builds[i]},
                 [&](const store::SqlRow& r) { tests.emplace_back(r.text(0)); });
      }
      db->exec("SELECT DISTINCT tree_name, git_repository_branch, origin FROM analysis_checkouts",
               {}, [&](const store::SqlRow& r) {
                 trees.push_back("/tree?tree=" + web::url_encode(r.text(0)) +
                                 "&branch=" + web::url_encode(r.text(1)) +
                                 "&origin=" + web::url_encode(r.text(2)));
               });
      if (trees.empty()) trees.push_back("/tree?tree=none&branch=none");
      std::printf("database: %zu tests; visiting %zu checkouts, %zu builds, %zu tests\n",
                  total_tests, checkouts.size(), builds.size(), tests.size());
    }

    server::ServerOptions options;
    options.database = spec;
    options.port = 0;
    options.access_log = false;
    options.threads = clients + 4;
    options.dashboard_connections = 4;
    options.spool_dir = db_path + ".spool";
    server::Server srv(options);
    auto t_start = Clock::now();
    srv.start();
    std::printf("server started (migrations) in %.1f s\n",
                std::chrono::duration<double>(Clock::now() - t_start).count());
    std::thread runner([&] { srv.run(); });
    std::string base = "http://127.0.0.1:" + std::to_string(srv.port());

    const std::vector<std::string> kinds = {"trees",   "trees.json",  "checkout", "build", "test",
                                            "compare", "regressions", "hardware", "tree"};
    std::mutex mutex;
    std::map<std::string, std::vector<double>> latencies;
    std::map<std::string, std::size_t> largest;
    std::atomic<int> errors{0};
    auto cpu_seconds = [] {
      rusage u{};
      getrusage(RUSAGE_SELF, &u);
      return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
             static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
    };
    double cpu0 = cpu_seconds();
    auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        client::HttpClient client;
        std::mt19937 rng(static_cast<unsigned>(c + 1));
        std::map<std::string, std::vector<double>> mine;
        std::map<std::string, std::size_t> big;
        while (Clock::now() < deadline) {
          const std::string& kind = kinds[rng() % kinds.size()];
          std::string url = base;
          if (kind == "trees")
            url += "/";
          else if (kind == "trees.json")
            url += "/trees.json";
          else if (kind == "checkout")
            url += "/checkout/" + web::url_encode(checkouts[rng() % checkouts.size()]);
          else if (kind == "build")
            url += "/build/" + web::url_encode(builds[rng() % builds.size()]);
          else if (kind == "test")
            url += "/test/" + web::url_encode(tests[rng() % tests.size()]);
          else if (kind == "compare")
            url += "/compare?b=" + web::url_encode(checkouts[rng() % checkouts.size()]);
          else if (kind == "regressions")
            url += "/regressions";
          else if (kind == "hardware")
            url += "/hardware";
          else
            url += trees[rng() % trees.size()];
          auto t0 = Clock::now();
          client::HttpResponse r = client.get(url);
          double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
          // A compare of a branch's first checkout has nothing before it.
          if (r.status != 200 && !(kind == "compare" && r.status == 404)) ++errors;
          mine[kind].push_back(ms);
          big[kind] = std::max(big[kind], r.body.size());
        }
        std::lock_guard lock(mutex);
        for (auto& [k, v] : mine) latencies[k].insert(latencies[k].end(), v.begin(), v.end());
        for (auto& [k, v] : big) largest[k] = std::max(largest[k], v);
      });
    }
    for (auto& t : threads) t.join();
    double cpu = cpu_seconds() - cpu0;
    srv.stop();
    runner.join();

    std::size_t requests = 0;
    for (auto& [k, v] : latencies) requests += v.size();
    std::printf(
        "%d clients, %.0f s, %d errors, %zu requests (%.0f/s), %.2f CPU ms per request "
        "(server and clients)\n",
        clients, seconds, errors.load(), requests, static_cast<double>(requests) / seconds,
        requests ? cpu * 1000.0 / static_cast<double>(requests) : 0.0);
    std::printf("%-11s %8s %8s %8s %8s %8s %10s\n", "page", "requests", "p50 ms", "p95 ms",
                "p99 ms", "max ms", "max bytes");
    for (const std::string& k : kinds) {
      auto& v = latencies[k];
      if (v.empty()) continue;
      std::printf("%-11s %8zu %8.1f %8.1f %8.1f %8.1f %10zu\n", k.c_str(), v.size(),
                  percentile(v, 0.5), percentile(v, 0.95), percentile(v, 0.99), percentile(v, 1.0),
                  largest[k]);
    }
    std::filesystem::remove_all(db_path + ".spool");
    if (temporary || !database.empty()) {
      for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_path + suffix);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "web_bench: %s\n", e.what());
    return 3;
  }
  return 0;
}
