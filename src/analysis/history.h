// SPDX-License-Identifier: LGPL-2.1-or-later
// The status history of one identity and what follows from it: the
// regressions (PASS -> FAIL, joined by later failures, closed by a pass),
// whether the identity is unstable, and the sentence KernelCI's emails use.
// Pure functions of the ordered results, so an incremental update and a
// full rebuild give the same answer.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/git_order.h"

namespace kci::analysis {

// PASS and FAIL are the signals; ERROR and MISS are infrastructure or
// incomplete runs (never open or close anything, counted apart); SKIP, DONE
// and no status are neutral.
enum class Signal { kPass, kFail, kInfra, kNeutral };
Signal signal_of(std::string_view status);

struct AnalysisOptions {
  // Unstable: at least `unstable_flips` PASS<->FAIL flips among the last
  // `unstable_window` PASS/FAIL results that lie within `unstable_days` of
  // the newest one.
  int unstable_window = 10;
  int unstable_days = 14;
  int unstable_flips = 2;
  // An unstable identity's regression is reported once it failed this many
  // times in a row.
  int report_after_fails = 2;
  // Repositories for ordering checkouts by git ancestry (git_order.h);
  // none: by start_time.
  Repositories repositories;
};

// One result of an identity.
struct HistoryEntry {
  std::string order_time;  // the checkout's start_time, UTC RFC 3339 ("" = unknown)
  std::string checkout_id;
  std::string start_time;  // the result's own start_time, UTC RFC 3339 ("" = unknown)
  std::string object_id;   // build or test id
  std::string status;      // "" = no status
  std::string describe;    // the checkout's git_commit_name, else its commit hash, else its id
  std::string order_key;   // the checkout's git order key (git_order.h), "" = by order_time
  bool operator==(const HistoryEntry&) const = default;
};

// Checkouts of one tree/branch in order (the git order key where there is
// one, else start_time; then id), results of one checkout by their own
// start_time, then id. Entries whose order key is "-" (off the branch's
// line) are never part of a history.
bool history_less(const HistoryEntry& a, const HistoryEntry& b);

// A result a regression points at.
struct ResultRef {
  std::string object_id, checkout_id, describe, time;  // time = the checkout's order_time
  bool operator==(const ResultRef&) const = default;
};

struct Regression {
  std::string id;  // identity key + "/" + first fail's object id
  ResultRef last_pass, first_fail, last_fail;
  std::optional<ResultRef> fixed_by;  // the pass that closed it
  bool active = true;
  int fail_count = 0;          // failures in a row (ERROR/MISS in between ignored)
  bool unstable = false;       // the identity was unstable at the last failure
  bool reported = true;        // !unstable || fail_count >= report_after_fails
  int failing_since_days = 0;  // whole days from first to last failure
  std::string summary;         // the email sentence
  bool operator==(const Regression&) const = default;
};

struct IdentityAnalysis {
  std::vector<Regression> regressions;  // oldest first
  bool unstable = false;                // at the newest result
  int flips = 0;                        // in the window ending at the newest PASS/FAIL
  int pass = 0, fail = 0, infra = 0, neutral = 0;
  std::string last_status;  // of the newest result ("" none)
  std::optional<ResultRef> last_pass;
  // The sentence for the identity now: the active regression's, "never
  // passed" when it fails and never passed, else "".
  std::string summary;
};

// The state of an identity after its results so far: enough to add later
// results without reading the earlier ones (the append path of updates).
struct HistoryState {
  std::optional<HistoryEntry> last;  // the newest result (its describe is not kept)
  int pass = 0, fail = 0, infra = 0, neutral = 0;
  std::optional<ResultRef> last_pass;
  std::optional<Regression> open;  // the active regression
  // The newest PASS/FAIL results (at most unstable_window): pass?, order time.
  std::vector<std::pair<bool, std::string>> signals;
  bool operator==(const HistoryState&) const = default;
};
// Adds a result that sorts after state.last. A regression the result closes
// is appended to `closed` (finished, as analyze_history returns it).
void add_to_history(HistoryState& state, const std::string& identity_key, const HistoryEntry& e,
                    const AnalysisOptions& options, std::vector<Regression>& closed);
// The analysis of a state: `earlier` (finished regressions) followed by the
// open one, finished; the rest from the state.
IdentityAnalysis analysis_of(const HistoryState& state, std::vector<Regression> earlier,
                             const AnalysisOptions& options);
// Compact JSON text of a state, and back (throws InvalidInputError).
std::string state_to_json(const HistoryState& state);
HistoryState state_from_json(std::string_view text);

// entries must be sorted by history_less.
IdentityAnalysis analyze_history(const std::string& identity_key,
                                 const std::vector<HistoryEntry>& entries,
                                 const AnalysisOptions& options);

// "new failure (last pass: X)" or "failing since N days (last pass: X,
// first fail: Y)".
std::string regression_sentence(const Regression& r);
inline constexpr const char* kNeverPassed = "never passed";

// Whole days between two RFC 3339 times (b - a), 0 when either is unknown.
int days_between(const std::string& a, const std::string& b);

// A start_time normalised to UTC with microseconds (sortable as text); ""
// when absent or malformed.
std::string normalize_time(const std::optional<std::string>& time);

}  // namespace kci::analysis
