// SPDX-License-Identifier: LGPL-2.1-or-later
// Per-checkout counts of builds and tests by status, and of tests per
// platform / lab / plan: what the trees and checkout pages show. Counting
// a checkout reads its builds and tests through the checkout_id / build_id
// indexes (cost proportional to that checkout, never to the database); the
// answers are kept for a short time (DashboardOptions::counts_ttl) so that
// busy pages count each checkout once per period.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "store/sql.h"

namespace kci::web {

struct StatusCounts {
  std::int64_t pass = 0, fail = 0, error = 0, miss = 0, skip = 0, done = 0, none = 0;
  void add(std::string_view status, std::int64_t n);
  std::int64_t total() const { return pass + fail + error + miss + skip + done + none; }
  // Everything but PASS, FAIL and SKIP (builds: everything but PASS, FAIL).
  std::int64_t other() const { return error + miss + done + none; }
};

struct TestGroup {
  std::string platform, lab, plan;
  StatusCounts counts;
};

struct CheckoutCounts {
  StatusCounts builds, tests;
};

class CountsCache {
 public:
  explicit CountsCache(std::chrono::seconds ttl) : ttl_(ttl) {}

  CheckoutCounts counts(store::SqlConnection& db, const std::string& checkout_id);
  std::shared_ptr<const std::vector<TestGroup>> groups(store::SqlConnection& db,
                                                       const std::string& checkout_id);

 private:
  using Clock = std::chrono::steady_clock;
  template <typename T>
  struct Entry {
    T value;
    Clock::time_point expires;
  };
  static constexpr std::size_t kMaxEntries = 20000;

  std::chrono::seconds ttl_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry<CheckoutCounts>> counts_;
  std::unordered_map<std::string, Entry<std::shared_ptr<const std::vector<TestGroup>>>> groups_;
};

// The platform of a test: misc.platform, else the first
// environment.compatible entry; lab and plan from misc. Inputs are the
// columns' JSON text (may be empty).
void test_environment(std::string_view misc_json, std::string_view compatible_json,
                      std::string& platform, std::string& lab, std::string& plan);

}  // namespace kci::web
