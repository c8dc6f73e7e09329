// SPDX-License-Identifier: LGPL-2.1-or-later
// Store throughput, run by hand (never a timed assertion in tests):
//   store_bench [--copies N] [--batch COPIES_PER_REPORT] [--threads N] [--rounds N]
//               [--sqlite PATH] [--postgresql CONNINFO] [--skip-sqlite]
//               [--queries N] [--query-only]
// Loads the v5.3 CKI sample scaled to >= 1,000,000 objects (N copies with
// "-xK" id suffixes; --batch copies per report, default all of them: the
// scaled sample is one report, as the issue puts it; --threads loaders,
// default 1) into each database: a fresh load,
// then a full re-load of the same ids (the merge path); then queries 1,000
// checkout ids with their children. Prints objects/s and ms. --rounds N
// repeats the loads on the same server (tables dropped and created again
// between rounds): on a new server, the first round also pays for touching
// its memory and WAL files for the first time, which a running one has
// done long ago (see docs/performance.md). --queries N runs the query N
// times (default 1) and prints each run's wall time and CPU time (this
// process, and the local postgres processes); --query-only skips the loads
// and queries what an earlier run left (the SQLite file is then kept).
#include <sys/resource.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "report/model.h"
#include "store/store.h"
#include "util/huge_pages.h"

using namespace kci;
using namespace kci::bench;

namespace {

void suffix(report::Text& t, const std::string& s) {
  if (t) *t += s;
}

// `copies` suffixed copies of base, `batch` copies per report (= per load
// and transaction).
std::vector<report::Report> scaled(const report::Report& base, int copies, int batch) {
  std::vector<report::Report> out;
  for (int k = 0; k < copies; ++k) {
    std::string s = "-x" + std::to_string(k);
    if (k % batch == 0) out.emplace_back();
    report::Report r = base;
    for (auto& o : r.checkouts) suffix(o.id, s);
    for (auto& o : r.builds) suffix(o.id, s), suffix(o.checkout_id, s);
    for (auto& o : r.tests) suffix(o.id, s), suffix(o.build_id, s);
    for (auto& o : r.issues) suffix(o.id, s);
    for (auto& o : r.incidents) {
      suffix(o.id, s), suffix(o.issue_id, s), suffix(o.build_id, s), suffix(o.test_id, s);
    }
    report::Report::each_list(r, [&](auto& list) {
      report::Report::each_list(out.back(), [&](auto& into) {
        if constexpr (std::is_same_v<decltype(list), decltype(into)>) {
          into.insert(into.end(), list.begin(), list.end());
        }
      });
    });
  }
  return out;
}

// CPU seconds of this process (user + system): on a shared, loaded machine
// the wall clock says more about the neighbours than about kci.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// CPU seconds of a local PostgreSQL server: its postmaster and every
// process it started (backends, WAL writer, checkpointer), including the
// backends that have exited since (the postmaster's reaped children); 0
// when the server is not on this machine. Other clusters on the machine
// are not counted.
double postgres_cpu_seconds(long postmaster) {
  if (postmaster <= 0) return 0;
  double ticks = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::ifstream f(e.path() / "stat");
    std::string line;
    if (!f || !std::getline(f, line)) continue;
    auto open = line.find('(');
    auto close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    if (line.substr(open + 1, close - open - 1) != "postgres") continue;
    long pid = std::atol(line.c_str());
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    long ppid = 0;
    double own = 0, children = 0;
    // Fields after the name: state(3) ppid(4) ... utime(14) stime(15)
    // cutime(16) cstime(17).
    for (int i = 3; i <= 17 && rest >> field; ++i) {
      if (i == 4) ppid = std::atol(field.c_str());
      if (i == 14 || i == 15) own += std::stod(field);
      if (i == 16 || i == 17) children += std::stod(field);
    }
    if (pid == postmaster)
      ticks += own + children;
    else if (ppid == postmaster)
      ticks += own;
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The pid of the postmaster serving `conninfo` if it runs on this machine
// (the parent of our backend), else 0.
long postmaster_of(const std::string& conninfo) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  long pid = 0;
  if (PQstatus(c) == CONNECTION_OK) pid = PQbackendPID(c);
  PQfinish(c);
  if (pid <= 0) return 0;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!f || !std::getline(f, line)) return 0;
  auto close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));
  std::string state;
  long ppid = 0;
  rest >> state >> ppid;
  return ppid;
}

// Loads every report, from `threads` threads pulling the next report in
// turn. PostgreSQL: one Store (connection) per thread, as kci serve's ingest
// workers. SQLite: the threads share one Store (one connection, one writer
// at a time), so one thread prepares its report (dedup, id order) while
// the other's transaction runs.
void load_all(const std::string& spec, store::Store& shared, std::vector<report::Report>& reports,
              int threads) {
  if (threads <= 1) {
    for (auto& r : reports) shared.load(std::move(r));
    return;
  }
  bool own = spec.rfind("postgresql:", 0) == 0;
  std::vector<std::unique_ptr<store::Store>> stores;
  for (int i = 0; own && i < threads; ++i) {
    stores.push_back(store::open_store(spec));
    stores.back()->init();
  }
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&, i] {
      store::Store& s = own ? *stores[static_cast<std::size_t>(i)] : shared;
      try {
        for (std::size_t k; (k = next++) < reports.size();) s.load(std::move(reports[k]));
      } catch (...) {
        std::lock_guard lock(error_mutex);
        error = std::current_exception();
        next = reports.size();
      }
    });
  }
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

// --split-min (QueryOptions::split_min_values; 0: one connection).
std::size_t g_split_min = store::QueryOptions::kDefaultSplitMinValues;

void run(const std::string& spec, const report::Report& base, int copies, int batch, int threads,
         int rounds, int queries, bool query_only) {
  auto store = store::open_store(spec);
  const long postmaster = spec.rfind("postgresql:", 0) == 0 ? postmaster_of(spec.substr(11)) : 0;
  std::size_t objects = base.size() * static_cast<std::size_t>(copies);
  for (int round = 1; round <= rounds && !query_only; ++round) {
    store->cleanup();
    store->init();
    for (const char* phase : {"fresh load", "re-load (merge)"}) {
      std::vector<report::Report> reports = scaled(base, copies, batch);
      auto t0 = Clock::now();
      double c0 = cpu_seconds();
      double p0 = postgres_cpu_seconds(postmaster);
      load_all(spec, *store, reports, threads);
      double s = seconds_since(t0);
      double c = cpu_seconds() - c0;
      double p = postgres_cpu_seconds(postmaster) - p0;
      std::printf(
          "%-12s %-16s %9zu objects %8.2f s wall %9.0f objects/s | CPU kci %.2f s + "
          "postgres %.2f s = %9.0f objects/CPU-s%s\n",
          spec.substr(0, spec.find(':')).c_str(), phase, objects, s, objects / s, c, p,
          objects / (c + p), rounds > 1 ? (" | round " + std::to_string(round)).c_str() : "");
      std::fflush(stdout);
    }
  }
  store::QueryIds ids;
  for (int k = 0; ids.checkouts.size() < 1000 && k < copies; ++k) {
    for (const auto& c : base.checkouts) {
      if (ids.checkouts.size() < 1000) ids.checkouts.push_back(*c.id + "-x" + std::to_string(k));
    }
  }
  for (int q = 0; q < queries; ++q) {
    auto t0 = Clock::now();
    double c0 = cpu_seconds();
    double p0 = postgres_cpu_seconds(postmaster);
    store::QueryOptions options;
    options.children = true;
    options.split_min_values = g_split_min;
    std::size_t found = store->query(ids, options).size();
    double s = seconds_since(t0);
    double c = cpu_seconds() - c0;
    double p = postgres_cpu_seconds(postmaster) - p0;
    std::printf(
        "%-12s %-16s %9zu checkouts -> %zu objects %8.0f ms wall | CPU kci %.0f ms + "
        "postgres %.0f ms\n",
        spec.substr(0, spec.find(':')).c_str(), "query+children", ids.checkouts.size(), found,
        s * 1000, c * 1000, p * 1000);
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // As kci itself: glibc's huge-page heap (see util/huge_pages.h).
  util::use_huge_page_heap(argv);
  int copies = 0;
  int batch = 0;  // 0 = every copy in one report
  int threads = 1;
  int rounds = 1;
  std::string sqlite = "/tmp/kci-store-bench.db";
  std::string postgresql;
  bool skip_sqlite = false;
  int queries = 1;
  bool query_only = false;
  std::string sample = KCI_SOURCE_DIR "/../shared/kcidb-samples/kcidb-2019-cki.v05_03-derived.json";
  CLI::App app{
      "Store throughput: fresh load, re-load (merge) and the query of 1,000 "
      "checkouts with their children (docs/performance.md, \"Store\")"};
  app.add_option("--copies", copies, "Copies of the sample (default: >= 1,000,000 objects)");
  app.add_option("--sqlite", sqlite, "SQLite database file")->capture_default_str();
  app.add_option("--postgresql", postgresql, "PostgreSQL conninfo (also load there)");
  app.add_flag("--skip-sqlite", skip_sqlite, "Leave SQLite out");
  app.add_option("--sample", sample, "The KCIDB report scaled up")->capture_default_str();
  app.add_option("--batch", batch, "Copies per report (default: all in one report)")
      ->check(CLI::PositiveNumber);
  app.add_option("--threads", threads, "Loaders")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--rounds", rounds, "Load rounds on the same server")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--queries", queries, "Query runs")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_flag("--query-only", query_only, "Query what an earlier run left");
  app.add_option("--split-min", g_split_min, "QueryOptions::split_min_values")
      ->capture_default_str();
  parse_args(app, argc, argv);
  std::ifstream f(sample);
  if (!f) {
    std::fprintf(stderr, "cannot read %s\n", sample.c_str());
    return 1;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  json::Document doc;
  doc.Parse(ss.str().c_str());
  report::Report base = report::from_json(doc);
  if (copies == 0) copies = static_cast<int>((1000000 + base.size() - 1) / base.size());
  if (batch == 0) batch = copies;
  std::printf("sample %zu objects x %d copies = %zu objects, %d copies per report, %d thread(s)\n",
              base.size(), copies, base.size() * static_cast<std::size_t>(copies), batch, threads);
  try {
    if (!skip_sqlite) {
      if (!query_only) {
        for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(sqlite + ext);
      }
      run("sqlite:" + sqlite, base, copies, batch, threads, rounds, queries, query_only);
    }
    if (!postgresql.empty()) {
      run("postgresql:" + postgresql, base, copies, batch, threads, rounds, queries, query_only);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "store_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
