// SPDX-License-Identifier: LGPL-2.1-or-later
// The cost of keeping analysis live, per ingest, run by hand (never a timed
// assertion in tests):
//   live_bench [--checkouts N] [--paths N] [--platforms N] [--dir PATH]
// Generates KernelCI-shaped data (src/analysis/generator.h), loads every
// checkout's report but the last through ingest::Loader, brings the
// analysis up to date, then loads the last report and times, on the same
// database: the analysis catch-up of that one change event
// (Analyzer::update of its ids), a whole live round of `kci serve`
// (analysis -> triage -> notify, server/live_services.h) for one more new
// report, and a full rebuild. CPU and wall time, as the machine is shared.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "analysis/follow.h"
#include "analysis/generator.h"
#include "bench_util.h"
#include "ingest/change_log.h"
#include "ingest/loader.h"
#include "server/live_services.h"
#include "store/sql.h"
#include "store/store.h"

using namespace kci;
using namespace kci::bench;

int main(int argc, char** argv) {
  analysis::GenOptions o;
  o.trees = 2;
  o.branches = 2;
  o.checkouts = 20;
  o.architectures = 2;
  o.configs = 2;
  o.platforms = 3;
  o.paths = 30;
  std::string dir = "/tmp";
  CLI::App app{
      "The live analysis per ingest against a full rebuild (docs/performance.md, "
      "\"Live analysis per ingest\")"};
  app.add_option("--checkouts", o.checkouts, "Checkouts per branch")->capture_default_str();
  app.add_option("--paths", o.paths, "Test paths per platform")->capture_default_str();
  app.add_option("--platforms", o.platforms, "Platforms")->capture_default_str();
  app.add_option("--dir", dir, "Where the SQLite database goes")->capture_default_str();
  parse_args(app, argc, argv);
  std::filesystem::path db = std::filesystem::path(dir) / "kci-live-bench.db";
  std::filesystem::remove(db);
  std::string spec_text = "sqlite:" + db.string();
  store::DatabaseSpec spec = store::parse_database_spec(spec_text);

  std::vector<report::Report> reports;
  analysis::Generator g(o);
  g.run([&](report::Report& r) { reports.push_back(std::move(r)); });
  std::size_t tests = 0, per_report = 0;
  for (const auto& r : reports) tests += r.tests.size();
  per_report = reports.back().tests.size();
  std::printf("data: %zu checkouts, %zu tests (%zu in a checkout), SQLite %s\n", reports.size(),
              tests, per_report, db.c_str());

  auto st = store::open_store(spec);
  st->init();
  auto sql = store::SqlConnection::open(spec);
  analysis::Analyzer analyzer(*st, *sql);
  ingest::ChangeLog log(*sql);
  ingest::Loader loader(*st);
  report::Report last = reports.back(), second_last = reports[reports.size() - 2];
  reports.resize(reports.size() - 2);
  {
    Timer t;
    for (auto& r : reports) loader.load(std::move(r));
    t.print("load all but two checkouts (Loader)");
  }
  {
    Timer t;
    analysis::catch_up(analyzer, log);
    t.print("first catch-up (rebuild)");
  }
  {
    Timer t;
    loader.load(second_last);
    t.print("load one checkout (Loader)");
  }
  {
    Timer t;
    analysis::FollowStats s = analysis::catch_up(analyzer, log);
    t.print("analysis catch-up of that one event");
    std::printf("  %s\n", s.describe().c_str());
  }
  {
    server::LiveOptions lo;
    lo.database = spec;
    lo.triage_options.fetch_logs = false;
    lo.notifier.quiet_seconds = 0;
    server::LiveServices live(lo);
    live.run_once();  // cursors of triage and notify
    loader.load(last);
    Timer t;
    server::LiveRound r = live.run_once();
    t.print("live round for one more checkout (analysis+triage+notify)");
    std::printf("  %s\n", r.describe().c_str());
  }
  {
    Timer t;
    analysis::UpdateStats s = analyzer.rebuild();
    t.print("full rebuild on the same database");
    std::printf("  %s\n", s.describe().c_str());
  }
  std::filesystem::remove(db);
  std::filesystem::remove(db.string() + "-wal");
  std::filesystem::remove(db.string() + "-shm");
  return 0;
}
