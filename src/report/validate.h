// SPDX-License-Identifier: LGPL-2.1-or-later
// Validating KCIDB reports against the exact schema version they declare,
// accepting what kcidb-io (with its format checkers installed) accepts and
// rejecting what it rejects; see docs/compatibility.md for the documented
// differences.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "report/json.h"
#include "report/version.h"

namespace kci::report {

// One violation: the JSON pointer (RFC 6901) of the offending value and what
// was expected there, e.g. {"/builds/3/start_time", "expected an RFC 3339
// date-time with a timezone, got \"yesterday\""}.
struct ValidationError {
  std::string pointer;
  std::string message;
  // "pointer: message"; the whole report (pointer "") is named by its caller.
  std::string str() const { return pointer.empty() ? message : pointer + ": " + message; }
};

struct ValidateOptions {
  // Accept only data whose major is <= max_major (kcidb-validate MAJOR).
  // nullopt = the latest major.
  std::optional<int> max_major;
  // Check "format": date-time, uri, email (kcidb-io in production does).
  bool check_formats = true;
  // Stop collecting after this many errors.
  std::size_t max_errors = 100;
};

struct ValidationResult {
  std::optional<Version> version;  // the schema version used, if one was found
  std::vector<ValidationError> errors;
  bool ok() const { return errors.empty(); }
};

// Validates one report. Never throws for bad data: every problem, including
// an unknown version, is an error in the result.
// Thread-safe: no shared mutable state.
ValidationResult validate_report(const json::Value& report, const ValidateOptions& options = {});

}  // namespace kci::report
