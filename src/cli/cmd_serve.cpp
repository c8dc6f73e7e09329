// SPDX-License-Identifier: LGPL-2.1-or-later
// kci serve: the KCIDB submission service (kcidb-ng's REST protocol) with a
// read API, over one store.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/command.h"
#include "cli/live_options.h"
#include "server/server.h"
#include "store/database_spec.h"

namespace kci::cli {

namespace {

struct ServeOptions {
  std::optional<std::string> database;
  std::string listen = "127.0.0.1:8080";
  std::string spool;
  int threads = 32;
  std::size_t max_body_mib = 256;
  int read_timeout = 30;
  int write_timeout = 30;
  int keep_alive_timeout = 5;
  int ingest_workers = 0;
  std::size_t ingest_batch = 64;
  bool quiet = false;
  bool no_dashboard = false;
  std::string base_url;
  std::string lava_header = "Authorization";
  int worker_lease = 60;
  int worker_retries = 2;
  double worker_holdoff = 5;
  std::string artifacts;
  int dashboard_connections = 4;
  // Live analysis, triage and notifications.
  bool no_live = false;
  LiveCliOptions live;
};

void add_serve(CLI::App& root, RunContext&) {
  auto o = std::make_shared<ServeOptions>();
  auto* cmd = root.add_subcommand(
      "serve",
      "Run the submission service: POST /submit and GET /status as kcidb-ng, a read API "
      "(/api/v1/...), the web dashboard (/), /metrics and /healthz");
  cmd->add_option("-d,--database", o->database,
                  "Database spec, e.g. sqlite:results.db or postgresql:dbname=kcidb "
                  "(default: $KCI_DATABASE)");
  cmd->add_option("--listen", o->listen, "Address and port to listen on (ADDR:PORT; port 0 = any)")
      ->capture_default_str();
  cmd->add_option("--spool", o->spool,
                  "Spool folder (default: DB.spool beside a SQLite file, else ./spool)");
  cmd->add_option("--threads", o->threads,
                  "Request threads; each open keep-alive connection holds one")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--max-body-size", o->max_body_mib,
                  "Largest submission accepted, in MiB (413 beyond)")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--read-timeout", o->read_timeout, "Seconds a client may stay silent")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--write-timeout", o->write_timeout, "Seconds a client may not read")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--keep-alive-timeout", o->keep_alive_timeout,
                  "Seconds an idle keep-alive connection is kept")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--ingest-workers", o->ingest_workers,
                  "Ingest workers (default: 1 for SQLite, 2 for PostgreSQL)")
      ->check(CLI::Range(0, 64));
  cmd->add_option("--ingest-batch", o->ingest_batch,
                  "Submissions loaded in one transaction at most")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  cmd->add_flag("-q,--quiet", o->quiet, "No access log lines");
  cmd->add_flag("--no-dashboard", o->no_dashboard,
                "Serve only the APIs, not the web dashboard (/, /checkout/ID, ...)");
  cmd->add_option("--lava-header", o->lava_header,
                  "Header LAVA's callbacks (POST /callback/lava) carry the token in: the "
                  "`header:` of the jobs' notify callback block")
      ->capture_default_str();
  cmd->add_option("--worker-lease", o->worker_lease,
                  "Seconds a pull worker's claim lasts without a heartbeat (kci worker)")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  cmd->add_option("--worker-max-retries", o->worker_retries,
                  "Retries of a node a pull worker failed on (infrastructure) or abandoned")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  cmd->add_option("--worker-retry-holdoff", o->worker_holdoff,
                  "Seconds before a pull worker's failed node may be claimed again")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--base-url", o->base_url,
                  "Prefix of the dashboard's links, e.g. https://ci.example.org (default: "
                  "links relative to the server's root)");
  cmd->add_option("--artifacts", o->artifacts,
                  "Folder of local runs' logs and files, served read-only under /artifacts/ "
                  "(file:// log URLs below it become links)");
  cmd->add_option("--dashboard-connections", o->dashboard_connections,
                  "Database connections the dashboard's pages use")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  cmd->add_flag("--no-live", o->no_live,
                "Do not keep analysis, triage and notifications live (run `kci analyze`, "
                "`kci issues triage`, `kci notify` yourself)");
  add_live_options(cmd, o->live);
  cmd->callback([o] {
    server::ServerOptions options;
    options.database = store::database_spec_from(o->database);
    server::parse_listen(o->listen, options.host, options.port);
    options.spool_dir = o->spool;
    options.threads = o->threads;
    options.max_body_bytes = o->max_body_mib << 20;
    options.read_timeout = std::chrono::seconds(o->read_timeout);
    options.write_timeout = std::chrono::seconds(o->write_timeout);
    options.keep_alive_timeout = std::chrono::seconds(o->keep_alive_timeout);
    options.ingest_workers = o->ingest_workers;
    options.ingest_batch = o->ingest_batch;
    options.access_log = !o->quiet;
    options.dashboard = !o->no_dashboard;
    options.base_url = o->base_url;
    options.lava_callback_header = o->lava_header;
    options.workers.lease_seconds = o->worker_lease;
    options.workers.max_retries = o->worker_retries;
    options.workers.retry_holdoff =
        std::chrono::milliseconds(static_cast<long long>(o->worker_holdoff * 1000));
    options.artifact_root = o->artifacts;
    options.dashboard_connections = o->dashboard_connections;
    options.live = !o->no_live;
    // The reports come from others: their file:// log_urls are not read
    // unless --log-fetch-files names where.
    o->live.local_log_files = false;
    apply_live_options(o->live, options.live_options);

    // SIGINT/SIGTERM are taken by one thread with sigwait, which may then
    // stop the server normally; they are blocked before any other thread
    // exists so that every thread inherits the mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    // A client that goes away mid-answer must not kill the server.
    ::signal(SIGPIPE, SIG_IGN);

    server::Server srv(options);
    srv.start();
    std::thread waiter([&srv, signals] {
      int sig = 0;
      sigwait(&signals, &sig);
      if (sig != 0) {
        std::fprintf(stderr, "kci serve: signal %d, stopping\n", sig);
        srv.stop();
      }
    });
    srv.run();
    // run() may also return without a signal (listen failed): wake the
    // waiter so it can be joined.
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
    std::fprintf(stderr, "kci serve: stopped\n");
  });
}

}  // namespace

KCI_COMMAND(50, add_serve);

}  // namespace kci::cli
