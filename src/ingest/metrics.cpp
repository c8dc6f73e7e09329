// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ingest/metrics.h"

#include <algorithm>
#include <cstdio>

namespace kci::ingest {

namespace {

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void counter(const std::string& name, const std::string& help, const std::string& labels,
             std::uint64_t value, bool header, std::string& out) {
  if (header) {
    out += "# HELP " + name + " " + help + "\n# TYPE " + name + " counter\n";
  }
  out += name + labels + " " + std::to_string(value) + "\n";
}

const char* reason_label(RejectReason r) {
  switch (r) {
    case RejectReason::kInvalid: return "invalid";
    case RejectReason::kUnauthorized: return "unauthorized";
    case RejectReason::kForbidden: return "forbidden";
    case RejectReason::kTooLarge: return "too_large";
    case RejectReason::kContentType: return "content_type";
    case RejectReason::kStorage: return "storage";
    case RejectReason::kDatabase: return "database";
    case RejectReason::kCount: break;
  }
  return "other";
}

// Latency buckets from 0.5 ms to 60 s: acknowledgements are expected in
// milliseconds, ingest under load in seconds.
std::vector<double> latency_bounds() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1) {}

void Histogram::observe(double seconds) {
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), seconds);
  counts_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<std::uint64_t>(std::max(0.0, seconds) * 1e6),
                        std::memory_order_relaxed);
}

void Histogram::render(const std::string& name, const std::string& help, std::string& out) const {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    std::string le = i < bounds_.size() ? number(bounds_[i]) : "+Inf";
    out += name + "_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += name + "_sum " + number(static_cast<double>(sum_micros_.load()) / 1e6) + "\n";
  out += name + "_count " + std::to_string(cumulative) + "\n";
}

Metrics::Metrics() : ingest_latency(latency_bounds()), request_duration(latency_bounds()) {}

std::string Metrics::render() const {
  std::string out;
  counter("kci_submissions_accepted_total", "Submissions acknowledged (spooled on disk)", "",
          submissions_accepted.load(), true, out);
  counter("kci_submission_bytes_total", "Bytes of acknowledged submissions", "",
          submission_bytes.load(), true, out);
  for (std::size_t i = 0; i < submissions_rejected.size(); ++i) {
    counter("kci_submissions_rejected_total", "Submissions refused, by reason",
            std::string("{reason=\"") + reason_label(static_cast<RejectReason>(i)) + "\"}",
            submissions_rejected[i].load(), i == 0, out);
  }
  counter("kci_submissions_processed_total", "Submissions loaded into the store", "",
          submissions_processed.load(), true, out);
  counter("kci_submissions_failed_total", "Submissions the ingester could not load", "",
          submissions_failed.load(), true, out);
  for (std::size_t i = 0; i < objects_loaded.size(); ++i) {
    counter("kci_objects_loaded_total", "Objects loaded into the store, by type",
            std::string("{type=\"") + report::list_name(report::kObjectTypes[i]) + "\"}",
            objects_loaded[i].load(), i == 0, out);
  }
  out +=
      "# HELP kci_spool_depth Submissions acknowledged and not yet loaded\n"
      "# TYPE kci_spool_depth gauge\n"
      "kci_spool_depth " +
      std::to_string(spool_depth.load()) + "\n";
  ingest_latency.render("kci_ingest_latency_seconds", "Time from acknowledgement to being stored",
                        out);
  request_duration.render("kci_request_duration_seconds", "HTTP request handling time", out);
  return out;
}

}  // namespace kci::ingest
