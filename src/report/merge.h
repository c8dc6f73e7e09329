// SPDX-License-Identifier: LGPL-2.1-or-later
// Whole-report operations of kcidb-io: count and merge.
#pragma once

#include <cstddef>
#include <vector>

#include "report/json.h"
#include "report/version.h"

namespace kci::report {

// The object lists of a report at every version, in output order.
inline constexpr const char* kObjectLists[] = {"revisions", "checkouts", "builds",
                                               "tests",     "issues",    "incidents"};

// Number of objects in a (valid) report: the sum of its object lists.
std::size_t count_objects(const json::Value& report);

// Merges valid reports into one, as kcidb-merge does: every input is upgraded
// to the newest version among them and the object lists are concatenated in
// input order (no deduplication). Inputs are modified (upgraded in place).
// Throws UpgradeError when an input cannot be upgraded.
void merge_reports(std::vector<json::Document*>& inputs, json::Document& out);

}  // namespace kci::report
