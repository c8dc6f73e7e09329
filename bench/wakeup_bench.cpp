// SPDX-License-Identifier: LGPL-2.1-or-later
// How soon a waiting service hears of another process's change on
// PostgreSQL (store/wakeup.h: NOTIFY at commit, LISTEN on a connection of
// its own), against the poll it replaces (see docs/performance.md, section
// "kci run"). Run by hand; it starts the tests' throw-away cluster:
//   wakeup_bench [--rounds N] [--rows N]
// Each round one thread commits a transaction (an insert of --rows rows and
// announce() on the nodes channel, as a node transition does) and another,
// blocked in WakeupListener::wait, wakes; the figure is the time from the
// writer's commit call to the wake-up. The poll's figure is arithmetic: a
// change lands at a uniformly random moment of a poll interval of P, so it
// is seen after P/2 on average and P at worst.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "store/pg_test_cluster.h"
#include "store/sql.h"
#include "store/wakeup.h"

using namespace kci;

using namespace kci::bench;
using Steady = std::chrono::steady_clock;

int main(int argc, char** argv) {
  int rounds = 1000;
  int rows = 1;
  CLI::App app{
      "How soon a LISTEN/NOTIFY waiter hears of another connection's commit on "
      "PostgreSQL, against polling (docs/performance.md, \"kci run\")"};
  app.add_option("--rounds", rounds, "Commits timed")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--rows", rows, "Rows inserted per commit")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  parse_args(app, argc, argv);
  auto* cluster = store::testing::PgTestCluster::get();
  if (!cluster) {
    std::fprintf(stderr, "no PostgreSQL: %s\n",
                 store::testing::PgTestCluster::skip_reason().c_str());
    return 3;
  }
  store::DatabaseSpec spec = store::parse_database_spec(cluster->create_database());
  auto writer = store::SqlConnection::open(spec);
  writer->exec("CREATE TABLE bench_rows (id BIGSERIAL PRIMARY KEY, v TEXT)");
  store::WakeupListener listener(spec, {store::kNodesChannel});

  // The waiter counts its wake-ups; `ready` says it is (about to be) inside
  // wait(), so that each round's commit finds it listening.
  std::mutex mutex;
  std::condition_variable cv;
  bool ready = false;
  int wakes = 0;
  int timeouts = 0;
  Steady::time_point woke;
  std::atomic<bool> stop = false;
  std::thread waiter([&] {
    while (!stop) {
      {
        std::lock_guard lock(mutex);
        ready = true;
      }
      cv.notify_all();
      bool heard = listener.wait(std::chrono::milliseconds(2000));
      Steady::time_point now = Steady::now();
      {
        std::lock_guard lock(mutex);
        ready = false;
        if (heard) {
          woke = now;
          ++wakes;
        } else if (!stop) {
          ++timeouts;
        }
      }
      cv.notify_all();
    }
  });

  std::vector<double> latencies;
  latencies.reserve(static_cast<std::size_t>(rounds));
  for (int r = 0; r < rounds; ++r) {
    {
      std::unique_lock lock(mutex);
      cv.wait(lock, [&] { return ready && wakes == r; });
    }
    Steady::time_point before_commit;
    writer->transaction([&] {
      for (int i = 0; i < rows; ++i) {
        writer->exec("INSERT INTO bench_rows (v) VALUES ($1)",
                     {store::SqlValue(std::string("node"))});
      }
      store::announce(*writer, store::kNodesChannel);
      before_commit = Steady::now();
    });
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return wakes == r + 1; });
    latencies.push_back(std::chrono::duration<double, std::milli>(woke - before_commit).count());
  }
  stop = true;
  listener.interrupt();
  waiter.join();

  double sum = 0;
  for (double l : latencies) sum += l;
  std::printf("LISTEN/NOTIFY wake-up after a commit (%d rounds, %d row(s) per transaction)\n",
              rounds, rows);
  std::printf("  mean %.3f ms  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f  (timeouts %d)\n",
              sum / static_cast<double>(latencies.size()), percentile(latencies, 0.5),
              percentile(latencies, 0.9), percentile(latencies, 0.99), percentile(latencies, 1.0),
              timeouts);
  std::printf(
      "polling instead (mean P/2, worst P): kci run's scheduler poll 500 ms: 250 / 500 ms; "
      "kci serve's --live-poll 2 s: 1000 / 2000 ms\n");
  cluster->stop();
  return 0;
}
