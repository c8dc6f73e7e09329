// SPDX-License-Identifier: LGPL-2.1-or-later
// The ReportSource of live notifications: a checkout's test reports made
// from the analysis tables (the regressions whose newest failure is in the
// checkout, with "failing since" from the analysis) and triage (a failure
// that shows a known issue is named with it, not counted as a regression).
// One test report per plan (the first component of the test path), and the
// checkout's build report (build_source.h) and new-issue reports
// (issue_source.h). Bisection reports come from the bisections.
#pragma once

#include <string>

#include "notify/build_source.h"
#include "notify/notifier.h"
#include "store/sql.h"
#include "store/store.h"

namespace kci::notify {

class AnalysisReportSource : public ReportSource {
 public:
  // `sql` reads the analysis tables, `store` the incidents and issues; both
  // of the same database. base_url prefixes the dashboard links ("" gives
  // links relative to the server's root).
  AnalysisReportSource(store::Store& store, store::SqlConnection& sql, std::string base_url = {},
                       BuildSourceOptions build_options = {});
  CheckoutReports reports(const CheckoutInfo& checkout) override;

 private:
  store::Store& store_;
  store::SqlConnection& sql_;
  std::string base_url_;
  BuildSourceOptions build_options_;
};

}  // namespace kci::notify
