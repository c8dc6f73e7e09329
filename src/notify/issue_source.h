// SPDX-License-Identifier: LGPL-2.1-or-later
// The new-issue reports of a checkout (issue 14: "an issue seen for the
// first time: title, first incident, configurations and platforms
// affected, log excerpt") from the store's issues and incidents. An issue
// is new in a checkout when every incident it has so far is on that
// checkout's builds and tests. Only the issues kci's triage discovered from
// log signatures ("kci:sig:..." ids) whose culprit is the code (kernel crash
// reports; compiler, linker, modpost and Kconfig errors) are reported:
// curated known issues (triage rules) are known by definition, warnings
// are summarised by the build report, and issues other CI systems submit
// are theirs to report.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "notify/reports.h"
#include "store/sql.h"

namespace kci::notify {

struct IssueSourceOptions {
  std::size_t max_reports = 20;    // per checkout: the first issues by id
  std::size_t max_incidents = 50;  // configurations listed per issue
  std::size_t max_log_lines = 20;  // of the first incident's log excerpt
};

std::vector<NewIssueReport> new_issue_reports_of(store::SqlConnection& sql,
                                                 const std::string& checkout_id,
                                                 const std::string& base_url,
                                                 const IssueSourceOptions& options = {});

}  // namespace kci::notify
