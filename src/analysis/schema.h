// SPDX-License-Identifier: LGPL-2.1-or-later
// The analysis tables, kept in the store's database (component "analysis"):
//
//   analysis_checkouts   one row per checkout: tree, branch, describe, order time
//   analysis_results     one row per build/test: identity key, checkout, order
//                        time, status, lab (indexed by identity and by checkout)
//   analysis_identities  one row per identity: its fields and its state now
//                        (last status, unstable, counts, email sentence)
//   analysis_regressions one row per regression (PASS -> FAIL run)
//   analysis_summary     per checkout: counts by kind (build/boot/test),
//                        platform, arch, lab, compiler, config and status
//
// Every row is a function of the store's objects, so `kci analyze --rebuild`
// and the incremental update give the same tables.
#pragma once

#include <vector>

#include "store/sql.h"
#include "store/store.h"

namespace kci::analysis {

inline constexpr const char* kComponent = "analysis";
const std::vector<store::Migration>& migrations();
// Applies the analysis migrations (idempotent).
void migrate(store::SqlConnection& sql);
// The derived tables, in the order `rebuild` fills them.
inline constexpr const char* kTables[] = {"analysis_checkouts", "analysis_results",
                                          "analysis_identities", "analysis_regressions",
                                          "analysis_summary"};

}  // namespace kci::analysis
