// SPDX-License-Identifier: LGPL-2.1-or-later
// HTTP request handling of `kci serve` without a socket. The input is a
// request target (the first line, e.g. "/checkout/x?page=2&status=FAIL")
// and a body (the rest). The target goes through the dashboard's router
// and pages (web::Dashboard::handle, on an empty in-memory database:
// pages answer 404/500, the routing, query-string and escaping paths run)
// and the artifact route (on a root that does not exist); the body through
// the checks of POST /submit (server::check_submission) and the bearer
// parsing of the Authorization header. The route lambdas themselves live
// in server.cpp around cpp-httplib's socket server and are not called here.
// Invariants: no exception escapes; a status is a real HTTP status; no
// page contains the tag "<kcifuzz" unescaped (seeds carry it in paths and
// parameters, so an unescaped echo of the request is a finding).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "fuzz.h"
#include "server/submission.h"
#include "server/tokens.h"
#include "store/database_spec.h"
#include "util/log.h"
#include "util/text.h"
#include "web/artifacts.h"
#include "web/dashboard.h"

namespace {

std::string form_decode(std::string_view text) {
  std::string plus(text);
  for (char& c : plus) {
    if (c == '+') c = ' ';
  }
  return kci::percent_decode(plus);
}

kci::web::Dashboard& dashboard() {
  static kci::web::Dashboard* d = [] {
    kci::web::DashboardOptions options;
    options.connections = 1;
    options.now = [] { return std::chrono::system_clock::time_point(std::chrono::hours(493000)); };
    return new kci::web::Dashboard(kci::store::parse_database_spec("sqlite::memory:"), options);
  }();
  return *d;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // The 500 pages of the empty database log an error each.
  kci::log::set_sink([](kci::log::Level, std::string_view) {});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kci;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t nl = input.find('\n');
  std::string_view target = input.substr(0, nl);
  std::string_view body = nl == std::string_view::npos ? "" : input.substr(nl + 1);

  web::WebRequest request;
  request.raw_target = std::string(target.substr(0, target.find('?')));
  request.path = percent_decode(request.raw_target);
  if (std::size_t q = target.find('?'); q != std::string_view::npos) {
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
      std::size_t amp = query.find('&');
      std::string_view pair = query.substr(0, amp);
      std::size_t eq = pair.find('=');
      request.params.emplace(form_decode(pair.substr(0, eq)),
                             eq == std::string_view::npos ? "" : form_decode(pair.substr(eq + 1)));
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  request.accept = request.params.count("json") ? "application/json" : "text/html";
  if (web::Dashboard::handles(request.path) && !request.path.starts_with("/artifacts/")) {
    web::WebResponse r = dashboard().handle(request);
    KCI_FUZZ_CHECK(r.status >= 200 && r.status < 600);
    KCI_FUZZ_CHECK(r.body.find("<kcifuzz") == std::string::npos);
  }
  if (request.path.starts_with("/artifacts/")) {
    web::WebResponse r = web::serve_artifact("/nonexistent/kci-fuzz-root", request.raw_target,
                                             request.path.substr(11));
    KCI_FUZZ_CHECK(r.status >= 400);
    KCI_FUZZ_CHECK(r.body.find("<kcifuzz") == std::string::npos);
  }

  server::bearer_token(target);
  server::SubmissionCheck check = server::check_submission(
      body, [](const std::string& origin) { return origin.size() % 2 == 0; });
  KCI_FUZZ_CHECK(check.http_status == 200 || check.http_status == 400 || check.http_status == 403);
  server::answer_json("id", check.ok() ? "ok" : "error", check.message, check.errors);
  return 0;
}
