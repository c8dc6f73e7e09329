// SPDX-License-Identifier: LGPL-2.1-or-later
// What every benchmark under bench/ measures with: wall and CPU clocks, a
// timer that prints both, percentiles, best-of-N, and the command line
// (CLI11, as kci itself: --help, and an unknown option is an error).
// Benchmarks are run by hand on shared machines, so each figure is printed
// with the process CPU time beside the wall time where that matters.
#pragma once

#include <time.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace kci::bench {

using Clock = std::chrono::steady_clock;

inline double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

inline double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// CPU time of the process (all threads), ms: on a shared machine the wall
// clock also counts the time other processes had the cores.
inline double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// Prints "what   N ms wall   M ms CPU" for the time since construction.
struct Timer {
  Clock::time_point wall = Clock::now();
  double cpu = cpu_ms();
  void print(const char* what) const {
    std::printf("%-52s %9.1f ms wall %9.1f ms CPU\n", what, ms_since(wall), cpu_ms() - cpu);
  }
};

// The p-quantile (0..1) of the samples, nearest rank below; 0 when empty.
inline double percentile(std::vector<double> samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  auto i = static_cast<std::size_t>(p * static_cast<double>(samples.size() - 1));
  return samples[i];
}

// Best of n runs of f: wall ms (and the CPU ms of that run in *cpu).
template <typename F>
double best_of(int n, F&& f, double* cpu = nullptr) {
  double best = 1e300;
  for (int i = 0; i < n; ++i) {
    auto t = Clock::now();
    double c = cpu_ms();
    f();
    double ms = ms_since(t);
    if (ms < best) {
      best = ms;
      if (cpu) *cpu = cpu_ms() - c;
    }
  }
  return best;
}

// Parses the command line; on --help prints the usage and exits 0, on a
// bad option prints why and exits 2 (kci's usage status).
inline void parse_args(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e) == 0 ? 0 : 2);
  }
}

}  // namespace kci::bench
