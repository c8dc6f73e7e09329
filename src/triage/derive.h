// SPDX-License-Identifier: LGPL-2.1-or-later
// From findings and rule matches to KCIDB issues and incidents.
//
// An issue derived from a log signature has id "kci:sig:" + signature,
// version 1, origin "kci", report_subject = the title and a culprit where the
// kind says who is at fault (kernel crash reports and compiler, linker,
// modpost and Kconfig errors: code). The same signature seen in another
// origin's results gives the same issue id, so their incidents join it.
// An incident's id is a digest of (result id, issue id, issue version), so
// triaging a result again never duplicates it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "report/model.h"
#include "triage/finding.h"
#include "triage/rules.h"

namespace kci::triage {

inline constexpr const char* kTriageOrigin = "kci";

std::string issue_id_for_signature(std::string_view signature);
report::Issue issue_from_finding(const Finding& f);
report::Issue issue_from_rule(const KnownIssueRule& rule);
std::string incident_id(std::string_view result_id, std::string_view issue_id,
                        std::int64_t issue_version);
report::Incident incident_for(const ResultFacts& result, const std::string& issue_id,
                              std::int64_t issue_version, const std::string& comment = {});

}  // namespace kci::triage
