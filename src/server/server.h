// SPDX-License-Identifier: LGPL-2.1-or-later
// The submission service behind `kci serve`: KCIDB's REST submission
// protocol as kcidb-ng speaks it (POST /submit with a bearer token, GET
// /status?id=), a read API over the store, /metrics and /healthz. The HTTP
// library (cpp-httplib) stays inside server.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ingest/change_event.h"
#include "server/live_services.h"
#include "server/worker_service.h"
#include "store/database_spec.h"

namespace kci::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  store::DatabaseSpec database;
  std::filesystem::path spool_dir;
  // Request threads. A keep-alive connection holds one while it is open, so
  // this is also the number of clients served at once.
  int threads = 32;
  std::size_t max_body_bytes = std::size_t{256} << 20;
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds write_timeout{30};
  std::chrono::seconds keep_alive_timeout{5};
  int ingest_workers = 0;  // 0: 1 for SQLite (one writer at a time), 2 for PostgreSQL
  std::size_t ingest_batch = 64;
  bool access_log = true;  // one line per request on stderr
  // The header LAVA's callbacks carry their token in (the `header:` of the
  // job's notify callback block; LAVA's default is Authorization).
  std::string lava_callback_header = "Authorization";
  // The pull workers' routes (worker_service.h): leases, retries.
  WorkerServiceOptions workers;
  // The web dashboard (src/web): off serves only the APIs.
  bool dashboard = true;
  std::string base_url;                 // prefix of the dashboard's links
  std::filesystem::path artifact_root;  // served under /artifacts/ (empty: none)
  int dashboard_connections = 4;        // database connections for pages
  // Analysis, triage and notifications kept live from the change log
  // (live_services.h); its database is the server's, its base_url the
  // dashboard's when empty.
  bool live = true;
  LiveOptions live_options;
};

// The spool folder used when none is given: beside a SQLite database file
// ("results.db" -> "results.db.spool"), else ./spool.
std::filesystem::path default_spool_dir(const store::DatabaseSpec& database);

// Parses "ADDR:PORT" ("[::1]:8080" for IPv6). Throws UsageError.
void parse_listen(const std::string& listen, std::string& host, int& port);

// Who may call a route: anybody (the dashboard, the read API, /metrics),
// any valid token, or a token of one role (tokens.h; an admin token opens
// every route). docs/security.md's threat model lists them.
enum class RouteAccess { kPublic, kAnyToken, kSubmitter, kWorker, kLava };

struct RouteInfo {
  std::string method;   // GET (also answers HEAD) or POST
  std::string pattern;  // httplib's regex over the path
  RouteAccess access = RouteAccess::kPublic;
  bool writes = false;  // changes the store or the spool
};

class Server {
 public:
  // Every route the server registers, in order (the dashboard's last, only
  // registered when it is on). setup_routes() registers exactly these, so
  // the security tests can check every write route.
  static std::vector<RouteInfo> routes();

  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Opens the store (creating its schema if needed), the tokens, the spool
  // (resuming what it holds) and binds the socket. Throws on failure.
  void start();
  // Serves until stop(); then lets the ingester finish its batch.
  void run();
  // Safe from any thread (e.g. a signal-waiting one).
  void stop();
  int port() const;
  // The ObjectsChanged of every batch the ingester commits, for in-process
  // consumers: subscribe before start() to see every batch (see
  // docs/architecture.md, "Event flow").
  ingest::ChangeBus& changes();
  // The live analysis/triage/notify services (null when options.live is
  // off or before start()).
  LiveServices* live();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kci::server
