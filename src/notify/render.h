// SPDX-License-Identifier: LGPL-2.1-or-later
// Report data (reports.h) to a subject and a plain-text body, through the
// embedded mustache templates. Rendering is pure: the same data gives the
// same text, so the text's hash identifies the content of a mail.
#pragma once

#include <string>

#include "notify/reports.h"

namespace kci::notify {

// kPatchset: the reply to a patch series' thread (rendered by src/inbox,
// queued and sent through the outbox like the others).
enum class ReportKind { kTest, kBuild, kBisection, kNewIssue, kPatchset };
const char* report_kind_name(
    ReportKind kind);  // "test", "build", "bisection", "new-issue", "patchset"
// Throws InvalidInputError for an unknown name.
ReportKind parse_report_kind(const std::string& name);

struct RenderedReport {
  ReportKind kind = ReportKind::kTest;
  // What the report is about, for deduplication and threading:
  // "checkout:<id>:test:<plan>", "checkout:<id>:build",
  // "bisection:<target>:<test>:<good>..<bad>", "issue:<id>".
  std::string subject_object;
  std::string subject;
  std::string body;
  // Whether the report has news (a test report with no regression has
  // none; subscriptions with `always` send it anyway).
  bool has_regressions = true;
};

struct RenderOptions {
  int max_log_lines = 10;      // per failing test case / issue
  int max_commit_lines = 200;  // of the culprit's `git show`
  std::size_t max_cell = 28;   // table cells are cut to this many characters
};

// Regressions of a test report: failures with a last pass and no known
// issue.
int regression_count(const TestReport& report);

RenderedReport render_test_report(const TestReport& report, const RenderOptions& options = {});
RenderedReport render_build_report(const BuildReport& report, const RenderOptions& options = {});
RenderedReport render_bisection_report(const BisectionResult& result,
                                       const RenderOptions& options = {});
RenderedReport render_new_issue_report(const NewIssueReport& report,
                                       const RenderOptions& options = {});

// A table: header row, a "-+-" rule, rows; every cell one line, cut to
// max_cell characters and padded to its column's width. Lines have no
// trailing spaces.
std::vector<std::string> text_table(const std::vector<std::string>& header,
                                    const std::vector<std::vector<std::string>>& rows,
                                    std::size_t max_cell);

}  // namespace kci::notify
