// SPDX-License-Identifier: LGPL-2.1-or-later
// What the server checks before acknowledging a submission: the body is one
// JSON report, valid for the version it declares, upgradable to v5.3, and
// every object's origin is one the submitter may write. Kept apart from
// the HTTP code so it can be tested without a socket.
#pragma once

#include <cstddef>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "report/json.h"
#include "report/validate.h"

namespace kci::server {

struct SubmissionCheck {
  int http_status = 200;  // 200, 400 (bad JSON / invalid report) or 403
  std::string message;
  std::vector<report::ValidationError> errors;  // for 400: what is wrong where
  std::set<std::string> origins;                // the origins of the report's objects
  std::vector<std::string> forbidden_origins;   // for 403
  std::size_t objects = 0;
  bool ok() const { return http_status == 200; }
};

// Checks a submission body. may_write(origin) says whether the submitter's
// token allows an origin. Never throws for bad data.
SubmissionCheck check_submission(std::string_view body,
                                 const std::function<bool(const std::string&)>& may_write);

// The origins of every object of a v5.x report (upgraded, valid).
std::set<std::string> report_origins(const json::Value& report, std::size_t* objects = nullptr);

// The JSON answer kcidb-ng gives: {"id","status","message"}, plus "errors"
// ([{"pointer","message"}]) when there are some.
std::string answer_json(const std::string& id, const std::string& status,
                        const std::string& message,
                        const std::vector<report::ValidationError>& errors = {});

}  // namespace kci::server
