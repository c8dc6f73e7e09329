// SPDX-License-Identifier: LGPL-2.1-or-later
// The build report of a checkout (KernelCI's "{tree}/{branch} build: N
// builds: F failed, P passed, E errors, W warnings" mail) from the store:
// every build of the checkout with its configuration, architecture,
// compiler and status; its errors, warnings and section mismatches found
// in its build log by triage's build-log scanner (the log_url fetched like
// triage fetches it, or the log_excerpt); and for a failing configuration
// that passed before, the last good build (from the analysis tables).
#pragma once

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "notify/reports.h"
#include "store/sql.h"
#include "store/store.h"
#include "triage/log_fetch.h"

namespace kci::notify {

// What a report says about its checkout, from the store's checkouts table
// (describe: git_commit_name, else the hash's first 12 digits).
struct CheckoutFacts {
  std::string id, origin, tree, branch, url, commit, describe;
};
std::optional<CheckoutFacts> checkout_facts(store::SqlConnection& sql,
                                            const std::string& checkout_id);

// The non-empty lines of a log excerpt, at most `max`, in order.
std::vector<std::string_view> excerpt_lines(
    std::string_view text, std::size_t max = std::numeric_limits<std::size_t>::max());

struct BuildSourceOptions {
  bool fetch_logs = true;     // false: scan log_excerpt only, never fetch log_url
  std::string log_cache_dir;  // triage's log cache ("" = none)
  std::size_t max_log_bytes = std::size_t{64} << 20;  // per build log
  long fetch_timeout_seconds = 60;
  triage::FetchPolicy fetch_policy;  // where logs may come from
  std::size_t max_lines = 50;        // errors (warnings, mismatches) listed per build
};

// The build report of the checkout, or nullopt when it has no builds (or
// the store does not know it). base_url prefixes the dashboard links.
// A log that cannot be fetched leaves that build's lists empty.
std::optional<BuildReport> build_report_of(store::Store& store, store::SqlConnection& sql,
                                           const std::string& checkout_id,
                                           const std::string& base_url,
                                           const BuildSourceOptions& options = {});

}  // namespace kci::notify
