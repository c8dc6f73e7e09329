// SPDX-License-Identifier: LGPL-2.1-or-later
#include "analysis/history.h"

#include <chrono>
#include <tuple>

#include "util/time.h"

namespace kci::analysis {

Signal signal_of(std::string_view status) {
  if (status == "PASS") return Signal::kPass;
  if (status == "FAIL") return Signal::kFail;
  if (status == "ERROR" || status == "MISS") return Signal::kInfra;
  return Signal::kNeutral;
}

bool history_less(const HistoryEntry& a, const HistoryEntry& b) {
  return std::tie(a.order_time, a.checkout_id, a.start_time, a.object_id) <
         std::tie(b.order_time, b.checkout_id, b.start_time, b.object_id);
}

std::string normalize_time(const std::optional<std::string>& time) {
  if (!time) return {};
  auto t = parse_rfc3339(*time);
  return t ? format_rfc3339(*t) : std::string();
}

int days_between(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return 0;
  auto ta = parse_rfc3339(a), tb = parse_rfc3339(b);
  if (!ta || !tb) return 0;
  auto d = std::chrono::duration_cast<std::chrono::hours>(*tb - *ta).count() / 24;
  return static_cast<int>(d);
}

std::string regression_sentence(const Regression& r) {
  if (r.fail_count <= 1) return "new failure (last pass: " + r.last_pass.describe + ")";
  int days = r.failing_since_days;
  return "failing since " + std::to_string(days) + (days == 1 ? " day" : " days") +
         " (last pass: " + r.last_pass.describe + ", first fail: " + r.first_fail.describe + ")";
}

namespace {

ResultRef ref_of(const HistoryEntry& e) {
  return ResultRef{e.object_id, e.checkout_id, e.describe, e.order_time};
}

// Flips among the last signals (index into `signals`, up to and including
// `end`) that lie within the window of the one at `end`.
struct SignalPoint {
  bool pass;
  std::optional<SystemTime> time;
};

int flips_at(const std::vector<SignalPoint>& signals, std::size_t end,
             const AnalysisOptions& o) {
  const auto& newest = signals[end];
  std::size_t taken = 0;
  int flips = 0;
  std::optional<bool> later;
  for (std::size_t i = end + 1; i-- > 0 && taken < static_cast<std::size_t>(o.unstable_window);) {
    const auto& s = signals[i];
    if (newest.time && s.time && *newest.time - *s.time > std::chrono::hours(24) * o.unstable_days)
      break;
    if (later && *later != s.pass) ++flips;
    later = s.pass;
    ++taken;
  }
  return flips;
}

}  // namespace

IdentityAnalysis analyze_history(const std::string& identity_key,
                                 const std::vector<HistoryEntry>& entries,
                                 const AnalysisOptions& options) {
  IdentityAnalysis out;
  std::vector<SignalPoint> signals;
  std::optional<ResultRef> last_pass;
  Regression* open = nullptr;
  bool ever_passed = false;
  for (const auto& e : entries) {
    Signal s = signal_of(e.status);
    switch (s) {
      case Signal::kInfra: ++out.infra; continue;
      case Signal::kNeutral: ++out.neutral; continue;
      case Signal::kPass: ++out.pass; break;
      case Signal::kFail: ++out.fail; break;
    }
    SignalPoint point{s == Signal::kPass, parse_rfc3339(e.order_time)};
    signals.push_back(point);
    int flips = flips_at(signals, signals.size() - 1, options);
    bool unstable = flips >= options.unstable_flips;
    if (s == Signal::kPass) {
      ever_passed = true;
      if (open) {
        open->active = false;
        open->fixed_by = ref_of(e);
        open = nullptr;
      }
      last_pass = ref_of(e);
    } else if (open) {
      open->last_fail = ref_of(e);
      ++open->fail_count;
      open->unstable = unstable;
    } else if (last_pass) {
      Regression r;
      r.id = identity_key + "/" + e.object_id;
      r.last_pass = *last_pass;
      r.first_fail = r.last_fail = ref_of(e);
      r.fail_count = 1;
      r.unstable = unstable;
      out.regressions.push_back(std::move(r));
      open = &out.regressions.back();
    }
  }
  for (auto& r : out.regressions) {
    r.reported = !r.unstable || r.fail_count >= options.report_after_fails;
    r.failing_since_days = days_between(r.first_fail.time, r.last_fail.time);
    r.summary = regression_sentence(r);
  }
  if (!signals.empty()) {
    out.flips = flips_at(signals, signals.size() - 1, options);
    out.unstable = out.flips >= options.unstable_flips;
  }
  if (!entries.empty()) out.last_status = entries.back().status;
  out.last_pass = last_pass;
  if (open) {
    out.summary = open->summary;
  } else if (!ever_passed && out.fail > 0) {
    out.summary = kNeverPassed;
  }
  return out;
}

}  // namespace kci::analysis
