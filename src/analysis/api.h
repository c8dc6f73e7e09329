// SPDX-License-Identifier: LGPL-2.1-or-later
// The analysis read API of `kci serve`, independent of the HTTP library:
// the server maps GET /api/v1/{compare,regressions,history,summary/ID} here.
//
//   /api/v1/compare?a=CHECKOUT&b=CHECKOUT[&builds=1]   compare_json
//   /api/v1/regressions[?tree=&branch=&origin=&all=1]  JSON array of regressions
//   /api/v1/history?test=ID | build=ID | origin=&tree=&branch=&arch=&config=
//                   &compiler=&path=&platform=[&builds=1]  JSON array of histories
//   /api/v1/summary/CHECKOUT                            summary_json
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "store/sql.h"

namespace kci::analysis {

struct ApiResponse {
  int status = 200;  // 200, 400 (bad parameters), 404 (unknown route/object)
  std::string body;  // JSON
};

// route: the part after "/api/v1/" ("compare", "summary/ID", ...);
// param(name): the decoded query parameter, if given.
using ApiParam = std::function<std::optional<std::string>(const std::string&)>;
ApiResponse handle_api(store::SqlConnection& sql, const std::string& route, const ApiParam& param);

// True for the routes handle_api answers.
bool is_api_route(const std::string& route);

}  // namespace kci::analysis
