// SPDX-License-Identifier: LGPL-2.1-or-later
#include "report/status.h"

namespace kci::report {

std::string_view status_name(Status status) {
  switch (status) {
    case Status::kFail: return "FAIL";
    case Status::kError: return "ERROR";
    case Status::kMiss: return "MISS";
    case Status::kPass: return "PASS";
    case Status::kDone: return "DONE";
    case Status::kSkip: return "SKIP";
  }
  return "ERROR";
}

std::optional<Status> parse_status(std::string_view name) {
  for (Status s : kStatuses) {
    if (status_name(s) == name) return s;
  }
  return std::nullopt;
}

}  // namespace kci::report
