// SPDX-License-Identifier: LGPL-2.1-or-later
// Counters and histograms of the submission service, rendered in the
// Prometheus text exposition format for GET /metrics. Everything is a
// lock-free atomic so that request threads never wait on each other here.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "report/model.h"

namespace kci::ingest {

// A cumulative histogram with fixed upper bounds (seconds).
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double seconds);
  // Appends the _bucket/_sum/_count lines of metric `name`.
  void render(const std::string& name, const std::string& help, std::string& out) const;

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<std::uint64_t>> counts_;  // per bucket, not cumulative; +Inf last
  std::atomic<std::uint64_t> sum_micros_{0};
};

// Why a submission was refused (a label of kci_submissions_rejected_total).
enum class RejectReason : std::size_t {
  kInvalid,       // 400: malformed JSON or invalid report
  kUnauthorized,  // 401
  kForbidden,     // 403: origin not allowed for the token
  kTooLarge,      // 413
  kContentType,   // 415
  kStorage,       // 500, 507: the spool could not be written
  kDatabase,      // 503: the token could not be checked (database down)
  kCount
};

struct Metrics {
  Metrics();

  std::atomic<std::uint64_t> submissions_accepted{0};
  std::atomic<std::uint64_t> submission_bytes{0};
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(RejectReason::kCount)>
      submissions_rejected{};
  std::atomic<std::uint64_t> submissions_processed{0};
  std::atomic<std::uint64_t> submissions_failed{0};
  std::array<std::atomic<std::uint64_t>, 5> objects_loaded{};  // by report::ObjectType
  std::atomic<std::int64_t> spool_depth{0};
  Histogram ingest_latency;    // acknowledged -> stored
  Histogram request_duration;  // every HTTP request

  void reject(RejectReason reason) {
    submissions_rejected[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
  }
  void loaded(report::ObjectType type, std::size_t n) {
    objects_loaded[static_cast<std::size_t>(type)].fetch_add(n, std::memory_order_relaxed);
  }
  std::string render() const;
};

}  // namespace kci::ingest
