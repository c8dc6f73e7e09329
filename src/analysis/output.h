// SPDX-License-Identifier: LGPL-2.1-or-later
// The analysis answers as JSON (for the CLI, the server's /api/v1/ routes
// and scripts) and as text tables (for people). One place, so the CLI and
// the server print the same documents.
#pragma once

#include <string>

#include "analysis/queries.h"

namespace kci::analysis {

// One JSON object: every listed category name -> list of {identity fields,
// identity_key, a: {id, status} | null, b: {id, status} | null}.
std::string compare_json(const CompareResult& r);
// One line per listed item, grouped by category, with a count header.
std::string compare_table(const CompareResult& r);
// One JSON object (no newline) per regression.
std::string regression_json(const RegressionInfo& r);
// {identity: {...}, results: [{checkout_id, describe, order_time, id,
// status, start_time}], regressions: [...]}.
std::string history_json(const HistoryResult& h);
std::string history_table(const HistoryResult& h);
std::string identity_json(const IdentityInfo& i);
// {checkout: {...}, builds|boots|tests: {status: n}, groups: [...]}.
std::string summary_json(const CheckoutSummary& s);
// The seed email's table: platform | arch | lab | compiler | defconfig | results.
std::string summary_table(const CheckoutSummary& s);

}  // namespace kci::analysis
