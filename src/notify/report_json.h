// SPDX-License-Identifier: LGPL-2.1-or-later
// Report data (reports.h) read from JSON: the input files of the golden
// tests and of `kci notify render`. Field names are the struct members'.
// Unknown fields are errors, so a typo does not silently drop data.
#pragma once

#include <string>
#include <variant>

#include "notify/render.h"
#include "notify/reports.h"

namespace kci::notify {

// One input: {"kind": "test"|"build"|"bisection"|"new-issue", "data": {...}}
// plus optional mail fields used by the golden tests ("date": Unix
// seconds, "subscription", "from", "to": [..], "domain").
struct ReportInput {
  ReportKind kind = ReportKind::kTest;
  std::variant<TestReport, BuildReport, BisectionResult, NewIssueReport> data;
  long long date = 0;
  std::string subscription = "golden";
  std::string from = "kci <bot@kci.example.org>";
  std::vector<std::string> to;
  std::string domain = "kci.example.org";
  std::string in_reply_to;
};

// Throws InvalidInputError naming `name` and the JSON pointer of the fault.
ReportInput parse_report_input(const std::string& json, const std::string& name);

RenderedReport render_input(const ReportInput& input, const RenderOptions& options = {});

}  // namespace kci::notify
