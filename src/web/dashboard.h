// SPDX-License-Identifier: LGPL-2.1-or-later
// The web dashboard served by `kci serve`: server-rendered HTML pages over
// the store and the analysis tables (trees, checkouts, builds, tests with
// their status history, compare, regressions, issues, hardware,
// bisections, per-tree plots, HTML logs),
// each with a JSON twin (the same path + ".json", or Accept:
// application/json), the static files they use and the logs of local runs
// (an artifact folder). Read-only. The HTTP library stays in src/server: it
// hands requests over as WebRequest and sends back the WebResponse.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "store/database_spec.h"

namespace kci::store {
class Store;
}

namespace kci::web {

struct WebRequest {
  std::string path;        // percent-decoded path, e.g. "/checkout/maestro:1"
  std::string raw_target;  // the path as the client sent it (not decoded)
  std::multimap<std::string, std::string> params;  // decoded query parameters
  std::string accept;                              // the Accept header
};

struct WebResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct DashboardOptions {
  // Prefix of every link the pages write ("" = links relative to the
  // server's root), e.g. "https://ci.example.org" for pages and JSON that
  // are read elsewhere (emails link to the same URLs).
  std::string base_url;
  // Folder whose files /artifacts/PATH serves (logs of local runs);
  // empty: none served.
  std::filesystem::path artifact_root;
  // Database connections for page queries (requests beyond wait).
  int connections = 4;
  // How long per-checkout counts are reused before they are recounted.
  std::chrono::seconds counts_ttl{30};
  // The clock of the time windows (trees, hardware); tests fix it so that
  // the golden pages do not change from day to day.
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
};

class Dashboard {
 public:
  Dashboard(store::DatabaseSpec database, DashboardOptions options);
  ~Dashboard();
  Dashboard(const Dashboard&) = delete;
  Dashboard& operator=(const Dashboard&) = delete;

  // Creates the indexes the pages' queries use (component "web"); run once
  // at start-up on the store the server opened.
  static void migrate(store::Store& store);

  // Whether a GET of this path is the dashboard's to answer.
  static bool handles(const std::string& path);
  // The same as regular expressions of whole paths, for the HTTP router.
  static const std::vector<std::string>& route_patterns();

  // Answers a GET. Never throws: failures become 500 pages (the message
  // goes to stderr).
  WebResponse handle(const WebRequest& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kci::web
