// SPDX-License-Identifier: LGPL-2.1-or-later
// Issues as people read them: each issue (its highest version) with its
// incidents summarised (count, first and last seen, origins, platforms).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "report/model.h"
#include "store/store.h"

namespace kci::triage {

struct IssueIncident {
  std::string incident_id, result_id, result_kind;   // "build" | "test"
  std::string origin, platform, path, status, seen;  // seen: the result's start_time or load time
  std::int64_t issue_version = 0;
};

struct IssueSummary {
  report::Issue issue;  // highest version
  std::size_t incidents = 0;
  std::string first_seen, last_seen;
  std::set<std::string> origins, platforms;
  std::vector<IssueIncident> details;  // filled by issue_details() only
};

// Every issue of the store, most incidents first.
std::vector<IssueSummary> list_issues(store::Store& store);
// One issue with its incidents; nullopt when the store has no such issue.
std::optional<IssueSummary> issue_details(store::Store& store, const std::string& id);

// The issues each of these builds and tests shows (present incidents), by
// result id, sorted and each once: what analysis marks a regression with,
// and what `--exclude-known` leaves out.
std::map<std::string, std::vector<std::string>> known_issues_of(
    store::Store& store, const std::vector<std::string>& build_ids,
    const std::vector<std::string>& test_ids);

}  // namespace kci::triage
