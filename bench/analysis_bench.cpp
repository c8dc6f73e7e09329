// SPDX-License-Identifier: LGPL-2.1-or-later
// Analysis figures, run by hand (never a timed assertion in tests):
//   analysis_bench [--trees N] [--branches N] [--checkouts N] [--archs N] [--configs N]
//                  [--platforms N] [--paths N] [--long N] [--dir PATH] [--postgresql]
//                  [--skip-off]
// Generates KernelCI-shaped data (src/analysis/generator.h; tests per
// checkout = archs x configs x platforms x paths) and loads it one report
// per checkout into two databases: analysis off (store only) and on (store
// + Analyzer::update of each change event), side by side. A second, long
// data set (one branch, --long checkouts, 10 tests each) gives one identity
// --long results. Then times: compare of the two largest checkouts, history
// of one identity with --long results, active regressions of a tree, and
// kci analyze --rebuild. Prints the figures.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "analysis/analyzer.h"
#include "analysis/generator.h"
#include "analysis/queries.h"
#include "bench_util.h"
#include "store/sql.h"
#include "store/store.h"
#ifdef KCI_BENCH_POSTGRESQL
#include "store/pg_test_cluster.h"
#endif

using namespace kci;
using namespace kci::bench;

namespace {

ingest::ObjectsChanged event_of(const report::Report& r) {
  ingest::ObjectsChanged ev;
  for (const auto& c : r.checkouts) ev.checkouts.push_back(*c.id);
  for (const auto& b : r.builds) ev.builds.push_back(*b.id);
  for (const auto& t : r.tests) ev.tests.push_back(*t.id);
  std::sort(ev.builds.begin(), ev.builds.end());
  std::sort(ev.tests.begin(), ev.tests.end());
  return ev;
}

struct LoadResult {
  double load_ms = 0, analysis_ms = 0, load_cpu = 0, analysis_cpu = 0;
  std::size_t objects = 0, tests = 0, checkouts = 0;
};

LoadResult load(const analysis::GenOptions& o, store::Store& st, analysis::Analyzer* analyzer) {
  LoadResult out;
  analysis::Generator g(o);
  g.run([&](report::Report& r) {
    out.objects += r.size();
    out.tests += r.tests.size();
    ++out.checkouts;
    ingest::ObjectsChanged ev = event_of(r);
    auto t0 = Clock::now();
    double c0 = cpu_ms();
    st.load(std::move(r));
    out.load_ms += ms_since(t0);
    out.load_cpu += cpu_ms() - c0;
    if (analyzer) {
      auto t1 = Clock::now();
      double c1 = cpu_ms();
      analyzer->update(ev);
      out.analysis_ms += ms_since(t1);
      out.analysis_cpu += cpu_ms() - c1;
    }
  });
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  analysis::GenOptions o;
  o.trees = 2;
  o.branches = 2;
  o.checkouts = 25;
  o.architectures = 4;
  o.configs = 2;
  o.build_only_configs = 2;
  o.platforms = 4;
  o.paths = 15;
  int long_checkouts = 1000;
  bool skip_off = false, postgresql = false;
  std::string dir = "/tmp";
  CLI::App app{
      "Analysis figures: load with the analysis off and on, compare, history, "
      "regressions, rebuild (docs/performance.md, \"Analysis\")"};
  app.add_option("--trees", o.trees, "Trees")->capture_default_str();
  app.add_option("--branches", o.branches, "Branches per tree")->capture_default_str();
  app.add_option("--checkouts", o.checkouts, "Checkouts per branch")->capture_default_str();
  app.add_option("--archs", o.architectures, "Architectures")->capture_default_str();
  app.add_option("--configs", o.configs, "Configurations per architecture")->capture_default_str();
  app.add_option("--platforms", o.platforms, "Platforms")->capture_default_str();
  app.add_option("--paths", o.paths, "Test paths per platform")->capture_default_str();
  app.add_option("--long", long_checkouts, "Checkouts of the long data set (10 tests each)")
      ->capture_default_str();
  app.add_option("--dir", dir, "Where the SQLite databases go")->capture_default_str();
  app.add_flag("--postgresql", postgresql, "Use the tests' throw-away PostgreSQL cluster");
  app.add_flag("--skip-off", skip_off, "Leave out the load with the analysis off");
  parse_args(app, argc, argv);
  analysis::GenOptions lo;
  lo.trees = 1;
  lo.first_tree = 7;
  lo.branches = 1;
  lo.checkouts = long_checkouts;
  lo.architectures = 1;
  lo.configs = 1;
  lo.build_only_configs = 0;
  lo.platforms = 1;
  lo.paths = 10;

  auto spec_for = [&](const std::string& name) {
#ifdef KCI_BENCH_POSTGRESQL
    if (postgresql) {
      auto* cluster = store::testing::PgTestCluster::get();
      if (!cluster) {
        std::fprintf(stderr, "no PostgreSQL: %s\n",
                     store::testing::PgTestCluster::skip_reason().c_str());
        std::exit(3);
      }
      return cluster->create_database();
    }
#endif
    std::string path = dir + "/kci-analysis-bench-" + name + ".db";
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
    return "sqlite:" + path;
  };
  std::printf(
      "scale: %d trees x %d branches x %d checkouts; %d tests per checkout; long set %d "
      "checkouts x 10 tests (%s)\n",
      o.trees, o.branches, o.checkouts, o.architectures * o.configs * o.platforms * o.paths,
      long_checkouts, postgresql ? "PostgreSQL" : "SQLite");

  if (!skip_off) {
    auto st = store::open_store(spec_for("off"));
    st->init();
    LoadResult r = load(o, *st, nullptr);
    std::printf(
        "load, analysis off: %zu objects (%zu tests, %zu checkouts) in %.0f ms (CPU %.0f "
        "ms): %.0f objects/s\n",
        r.objects, r.tests, r.checkouts, r.load_ms, r.load_cpu, r.objects / (r.load_ms / 1000));
  }
  std::string spec = spec_for("on");
  auto st = store::open_store(spec);
  st->init();
  auto sql = store::SqlConnection::open(store::parse_database_spec(spec));
  analysis::Analyzer analyzer(*st, *sql);
  LoadResult r = load(o, *st, &analyzer);
  std::printf(
      "load, analysis on: %zu objects in %.0f ms store + %.0f ms analysis (CPU %.0f + "
      "%.0f ms): %.0f objects/s (analysis %.0f%% of the wall time, %.0f%% of the CPU)\n",
      r.objects, r.load_ms, r.analysis_ms, r.load_cpu, r.analysis_cpu,
      r.objects / ((r.load_ms + r.analysis_ms) / 1000),
      100 * r.analysis_ms / (r.load_ms + r.analysis_ms),
      100 * r.analysis_cpu / (r.load_cpu + r.analysis_cpu));
  LoadResult lr = load(lo, *st, &analyzer);
  std::printf("long set: %zu objects in %.0f ms store + %.0f ms analysis (CPU %.0f + %.0f ms)\n",
              lr.objects, lr.load_ms, lr.analysis_ms, lr.load_cpu, lr.analysis_cpu);

  // Compare: the last two checkouts of the first branch.
  analysis::Generator names(o);
  std::string a = "maestro:mainline-master-" + std::to_string(o.checkouts - 2);
  std::string b = "maestro:mainline-master-" + std::to_string(o.checkouts - 1);
  std::size_t listed = 0;
  double cpu = 0;
  double compare_ms = best_of(
      5,
      [&] {
        auto c = analysis::compare(*sql, a, b);
        listed = 0;
        for (const auto& [cat, items] : c.items) listed += items.size();
      },
      &cpu);
  std::printf("compare %s %s (%d tests each, %zu listed): %.1f ms (CPU %.1f ms)\n", a.c_str(),
              b.c_str(), o.architectures * o.configs * o.platforms * o.paths, listed, compare_ms,
              cpu);

  analysis::IdentityQuery q;
  q.tree = "soc";
  q.path = "boot";
  auto ids = analysis::find_identities(*sql, q, 1);
  if (!ids.empty()) {
    std::size_t n = 0;
    double history_ms = best_of(
        5,
        [&] {
          auto info = analysis::identity_by_key(*sql, ids[0].key);
          n = analysis::history(*sql, *info).entries.size();
        },
        &cpu);
    std::printf("history of one identity (%zu results): %.2f ms (CPU %.2f ms)\n", n, history_ms,
                cpu);
  }
  analysis::RegressionFilter f;
  f.tree = "mainline";
  std::size_t active = 0;
  double regressions_ms = best_of(
      5, [&] { active = analysis::regressions(*sql, f).size(); }, &cpu);
  std::printf("active regressions of tree mainline (%zu): %.1f ms (CPU %.1f ms)\n", active,
              regressions_ms, cpu);

  auto t = Clock::now();
  double c = cpu_ms();
  auto stats = analyzer.rebuild();
  std::printf("rebuild: %s in %.0f ms (CPU %.0f ms)\n", stats.describe().c_str(), ms_since(t),
              cpu_ms() - c);
#ifdef KCI_BENCH_POSTGRESQL
  // The throw-away cluster is stopped by the tests' gtest environment,
  // which a bench does not run: stop it here, no server left behind.
  if (postgresql) {
    sql.reset();
    st.reset();
    if (auto* cluster = store::testing::PgTestCluster::get()) cluster->stop();
  }
#endif
  return 0;
}
