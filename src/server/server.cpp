// SPDX-License-Identifier: LGPL-2.1-or-later
#include "server/server.h"

#include <httplib.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "analysis/api.h"
#include "analysis/schema.h"
#include "ingest/ingester.h"
#include "ingest/metrics.h"
#include "ingest/spool.h"
#include "orchestrator/node_store.h"
#include "report/model.h"
#include "server/lava_callback.h"
#include "server/store_metrics.h"
#include "server/submission.h"
#include "server/tokens.h"
#include "store/sql.h"
#include "store/store.h"
#include "util/error.h"
#include "util/log.h"
#include "util/sha256.h"
#include "web/dashboard.h"

namespace kci::server {

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kJson = "application/json";
// Ids in the read API: as many as one query may name.
constexpr std::size_t kMaxQueryIds = 1000;

// What the access log line of the request being handled on this thread
// needs; httplib runs a request's handlers and its logger on one thread.
struct RequestScope {
  Clock::time_point start;
  std::string submitter;  // token label, never the token
};
thread_local RequestScope t_request;

void answer(httplib::Response& res, int status, const std::string& id, const std::string& state,
            const std::string& message, const std::vector<report::ValidationError>& errors = {}) {
  res.status = status;
  res.set_content(answer_json(id, state, message, errors), kJson);
}

bool json_content_type(const std::string& value) {
  if (value.empty()) return true;  // kcidb's clients always say it; curl -d does not
  std::string lower;
  for (char c : value) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.starts_with("application/json");
}

bool flag_param(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return false;
  std::string v = req.get_param_value(name);
  return v.empty() || v == "1" || v == "true" || v == "yes";
}

}  // namespace

std::filesystem::path default_spool_dir(const store::DatabaseSpec& database) {
  if (database.driver == store::Driver::kSqlite && !database.params.empty() &&
      database.params != ":memory:") {
    return std::filesystem::path(database.params + ".spool");
  }
  return "spool";
}

void parse_listen(const std::string& listen, std::string& host, int& port) {
  std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size()) {
    throw UsageError("--listen " + listen + ": expected ADDR:PORT, e.g. 127.0.0.1:8080");
  }
  host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) throw UsageError("--listen " + listen + ": the address is missing");
  try {
    std::size_t used = 0;
    port = std::stoi(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1 || port < 0 || port > 65535) throw std::out_of_range("");
  } catch (const std::exception&) {
    throw UsageError("--listen " + listen + ": the port must be 0..65535");
  }
}

using ingest::Ingester;
using ingest::IngestOptions;
using ingest::Metrics;
using ingest::new_submission_id;
using ingest::RejectReason;
using ingest::Spool;
using ingest::SubmissionState;
using ingest::valid_submission_id;

struct Server::Impl {
  explicit Impl(ServerOptions o) : options(std::move(o)) {}

  ServerOptions options;
  Metrics metrics;
  // Declared before the ingester, which publishes on it until it stops.
  ingest::ChangeBus changes;
  // Declared before the ingester, whose commits wake it.
  std::unique_ptr<LiveServices> live;
  std::unique_ptr<store::Store> read_store;
  std::unique_ptr<TokenStore> tokens;
  std::unique_ptr<Spool> spool;
  std::unique_ptr<Ingester> ingester;
  std::unique_ptr<web::Dashboard> dashboard;
  // The analysis read API's connection (it serialises its own calls).
  std::unique_ptr<store::SqlConnection> analysis_sql;
  // POST /callback/lava's store and connection, one callback at a time.
  std::mutex callback_mutex;
  std::unique_ptr<store::Store> callback_store;
  std::unique_ptr<store::SqlConnection> callback_sql;
  // The pull workers' routes.
  std::unique_ptr<WorkerService> workers;
  // /metrics' database part (store_metrics.h), one scrape at a time.
  std::mutex metrics_mutex;
  std::unique_ptr<store::SqlConnection> metrics_sql;
  httplib::Server http;
  int bound_port = -1;

  // Known tokens for a second, by their hash: every request would otherwise
  // be a database round trip on the token store's one connection, which
  // serialises the request threads. A revocation thus takes effect within
  // a second. Unknown tokens are not cached (a flood of them must not grow
  // memory).
  struct CachedToken {
    TokenInfo info;
    Clock::time_point expires;
  };
  static constexpr std::chrono::seconds kTokenCacheTime{1};
  static constexpr std::size_t kTokenCacheMax = 10000;
  std::mutex token_cache_mutex;
  std::unordered_map<std::string, CachedToken> token_cache;

  std::optional<TokenInfo> lookup_token(const std::string& token) {
    std::string key = sha256_hex(token);
    Clock::time_point now = Clock::now();
    {
      std::lock_guard lock(token_cache_mutex);
      auto it = token_cache.find(key);
      if (it != token_cache.end() && it->second.expires > now) return it->second.info;
    }
    std::optional<TokenInfo> info = tokens->authenticate(token);
    std::lock_guard lock(token_cache_mutex);
    if (token_cache.size() >= kTokenCacheMax) token_cache.clear();
    if (info) {
      token_cache[key] = {*info, now + kTokenCacheTime};
    } else {
      token_cache.erase(key);
    }
    return info;
  }

  // The token's record, or nullopt after answering 401 (no such token) or
  // 403 (a token of another role, when `role` is given).
  std::optional<TokenInfo> authenticate(const httplib::Request& req, httplib::Response& res,
                                        std::optional<TokenRole> role = std::nullopt) {
    std::string token = bearer_token(req.get_header_value("Authorization"));
    std::optional<TokenInfo> info;
    try {
      if (!token.empty()) info = lookup_token(token);
    } catch (const store::StoreError& e) {
      // The database is down or restarting: the client may try again.
      log::error(std::string("kci serve: cannot check a token: ") + e.what());
      res.set_header("Retry-After", "5");
      answer(res, 503, "0", "error",
             "The database is unavailable (the token cannot be checked); try again later");
      return std::nullopt;
    }
    if (!info) {
      answer(res, 401, "0", "error",
             token.empty() ? "Missing bearer token (Authorization: Bearer TOKEN)"
                           : "Unknown or revoked token");
      return std::nullopt;
    }
    t_request.submitter = info->label();
    if (role && !info->has_role(*role)) {
      answer(res, 403, "0", "error",
             "Token " + info->id + " has the role " + std::string(role_name(info->role)) +
                 ", this route needs " + std::string(role_name(*role)));
      return std::nullopt;
    }
    return info;
  }

  void submit(const httplib::Request& req, httplib::Response& res) {
    if (!json_content_type(req.get_header_value("Content-Type"))) {
      metrics.reject(RejectReason::kContentType);
      answer(res, 415, "0", "error",
             "Unsupported Content-Type " + req.get_header_value("Content-Type") +
                 ": send application/json");
      return;
    }
    std::optional<TokenInfo> token = authenticate(req, res, TokenRole::kSubmitter);
    if (!token) {
      metrics.reject(res.status == 403   ? RejectReason::kForbidden
                     : res.status == 503 ? RejectReason::kDatabase
                                         : RejectReason::kUnauthorized);
      return;
    }
    SubmissionCheck check = check_submission(
        req.body, [&](const std::string& origin) { return token->may_write(origin); });
    if (!check.ok()) {
      metrics.reject(check.http_status == 403 ? RejectReason::kForbidden : RejectReason::kInvalid);
      answer(res, check.http_status, "0", "error", check.message, check.errors);
      return;
    }
    std::string id = new_submission_id();
    try {
      spool->write(id, req.body);
    } catch (const ingest::SpoolFullError& e) {
      log::error(std::string("kci serve: cannot spool a submission: ") + e.what());
      metrics.reject(RejectReason::kStorage);
      res.set_header("Retry-After", "60");
      answer(res, 507, "0", "error",
             "The server's spool is full (no space left on its disk): the submission was not "
             "stored; try again later");
      return;
    } catch (const Error& e) {
      log::error(std::string("kci serve: cannot spool a submission: ") + e.what());
      metrics.reject(RejectReason::kStorage);
      answer(res, 500, "0", "error", "The submission could not be stored; try again later");
      return;
    }
    metrics.submissions_accepted.fetch_add(1, std::memory_order_relaxed);
    metrics.submission_bytes.fetch_add(req.body.size(), std::memory_order_relaxed);
    metrics.spool_depth.fetch_add(1, std::memory_order_relaxed);
    ingester->enqueue(id, std::chrono::system_clock::now());
    answer(
        res, 200, id, "ok",
        "Received submission " + id + " with size " + std::to_string(req.body.size()) + " bytes");
  }

  void status(const httplib::Request& req, httplib::Response& res) {
    if (!authenticate(req, res, TokenRole::kSubmitter)) return;
    std::string id = req.get_param_value("id");
    if (!valid_submission_id(id)) {
      answer(res, 400, "0", "error", "The id must be 1..64 letters and digits");
      return;
    }
    std::string reason;
    SubmissionState state = spool->state(id, &reason);
    std::string message;
    switch (state) {
      case SubmissionState::kInProgress: message = "Submission is being received"; break;
      case SubmissionState::kReady: message = "Submission is waiting to be loaded"; break;
      case SubmissionState::kProcessed: message = "Submission was loaded"; break;
      case SubmissionState::kFailed: message = "Submission failed: " + reason; break;
      case SubmissionState::kNotFound: message = "No such submission"; break;
    }
    answer(res, state == SubmissionState::kNotFound ? 404 : 200, id, state_name(state), message);
  }

  // POST /callback/lava (lava_callback.h): LAVA's notify callback, with the
  // secret of a `lava` token as the whole value of the header LAVA sends
  // (Authorization unless the job's callback block names another).
  void lava_callback(const httplib::Request& req, httplib::Response& res) {
    if (req.body.size() > kMaxLavaCallbackBytes) {
      answer(res, 413, "0", "error",
             "The callback body is larger than the limit of " +
                 std::to_string(kMaxLavaCallbackBytes) + " bytes");
      return;
    }
    std::string value = req.get_header_value(options.lava_callback_header);
    std::string token = bearer_token(value);
    if (token.empty() && !value.empty() && value.size() <= kMaxTokenBytes &&
        value.find(' ') == std::string::npos) {
      token = value;  // LAVA sends the secret alone
    }
    std::optional<TokenInfo> info;
    try {
      if (!token.empty()) info = lookup_token(token);
    } catch (const store::StoreError& e) {
      // The database is down or restarting: the client may try again.
      log::error(std::string("kci serve: cannot check a token: ") + e.what());
      res.set_header("Retry-After", "5");
      answer(res, 503, "0", "error",
             "The database is unavailable (the token cannot be checked); try again later");
      return;
    }
    if (!info) {
      answer(res, 401, "0", "error",
             token.empty() ? "Missing token (header " + options.lava_callback_header +
                                 ": the secret of a kci token of role lava)"
                           : "Unknown or revoked token");
      return;
    }
    t_request.submitter = info->label();
    if (!info->has_role(TokenRole::kLava)) {
      answer(res, 403, "0", "error",
             "Token " + info->id + " has the role " + std::string(role_name(info->role)) +
                 ", /callback/lava needs lava");
      return;
    }
    LavaCallbackRequest cb;
    cb.body = req.body;
    cb.content_type = req.get_header_value("Content-Type");
    cb.origin = req.get_param_value("origin");
    if (cb.origin.empty() && info->origins.size() == 1) cb.origin = info->origins.front();
    if (cb.origin.empty()) {
      answer(res, 400, "0", "error",
             "Name the origin of the results (?origin=NAME): the token writes several");
      return;
    }
    if (!info->may_write(cb.origin)) {
      answer(res, 403, "0", "error", "Token " + info->id + " may not write origin " + cb.origin);
      return;
    }
    cb.build_id = req.get_param_value("build_id");
    if (req.has_param("node")) {
      std::optional<std::int64_t> n = parse_version(req.get_param_value("node"));
      if (!n || *n <= 0) {
        answer(res, 400, "0", "error", "node= must be a positive integer (a kci run node id)");
        return;
      }
      cb.node_id = *n;
    }
    try {
      std::lock_guard lock(callback_mutex);
      LavaCallbackOutcome out = handle_lava_callback(cb, *callback_store, *callback_sql, &changes);
      answer(res, 200, std::to_string(out.job_id), "ok", out.message);
    } catch (const InvalidInputError& e) {
      answer(res, 400, "0", "error", e.what());
    }
  }

  // POST /api/v1/worker/{claim,heartbeat,complete}: a token of role worker.
  void worker_route(const httplib::Request& req, httplib::Response& res) {
    std::optional<TokenInfo> token = authenticate(req, res, TokenRole::kWorker);
    if (!token) return;
    std::string what = req.matches[1];
    WorkerAnswer a;
    if (what == "claim") {
      a = workers->claim(token->id, req.body);
    } else if (what == "heartbeat") {
      a = workers->heartbeat(token->id, req.body);
    } else {
      a = workers->complete(token->id, req.body,
                            [&](const std::string& origin) { return token->may_write(origin); });
    }
    res.status = a.status;
    res.set_content(a.body, kJson);
  }

  // Writes a query's result as a v5.3 report.
  void send_report(httplib::Response& res, const report::Report& result, bool with_metadata) {
    json::Document doc;
    report::to_json(result, doc, with_metadata);
    res.status = 200;
    res.set_content(json::write(doc), kJson);
  }

  // The (id, version) pairs of an issue id: every stored version, or the
  // one named.
  std::vector<report::ObjectKey> issue_keys(const std::string& id,
                                            const std::optional<std::int64_t>& version) {
    if (version) return {{id, *version}};
    report::Report found;
    store::Selection selection;
    selection.column = "id";
    selection.values = {id};
    read_store->select(report::ObjectType::kIssue, selection, false, found);
    std::vector<report::ObjectKey> keys;
    for (const auto& issue : found.issues) keys.push_back(report::key_of(issue));
    return keys;
  }

  static std::optional<std::int64_t> parse_version(const std::string& text) {
    try {
      std::size_t used = 0;
      long long v = std::stoll(text, &used);
      if (used == text.size() && v >= 0) return v;
    } catch (const std::exception&) {
    }
    return std::nullopt;
  }

  void object(const httplib::Request& req, httplib::Response& res) {
    std::string list = req.matches[1];
    std::string id = req.matches[2];
    store::QueryIds ids;
    store::QueryOptions query;
    query.children = flag_param(req, "children");
    query.parents = flag_param(req, "parents");
    query.with_metadata = flag_param(req, "metadata");
    if (list == "checkouts")
      ids.checkouts.push_back(id);
    else if (list == "builds")
      ids.builds.push_back(id);
    else if (list == "tests")
      ids.tests.push_back(id);
    else if (list == "incidents")
      ids.incidents.push_back(id);
    else {
      std::optional<std::int64_t> version;
      if (req.has_param("version")) {
        version = parse_version(req.get_param_value("version"));
        if (!version) {
          answer(res, 400, "0", "error", "version must be a non-negative integer");
          return;
        }
      }
      ids.issues = issue_keys(id, version);
    }
    report::Report result;
    if (!ids.empty()) result = read_store->query(ids, query);
    bool found = false;
    report::Report::each_list(result, [&](const auto& objects) {
      for (const auto& o : objects) {
        if (report::list_name(o.kType) == list && o.id && *o.id == id) found = true;
      }
    });
    if (!found) {
      answer(res, 404, "0", "error", "No " + list + " object with id " + id);
      return;
    }
    send_report(res, result, query.with_metadata);
  }

  void query(const httplib::Request& req, httplib::Response& res) {
    store::QueryIds ids;
    store::QueryOptions wanted;
    wanted.children = flag_param(req, "children");
    wanted.parents = flag_param(req, "parents");
    wanted.with_metadata = flag_param(req, "metadata");
    std::size_t count = 0;
    auto take = [&](const char* name, std::vector<std::string>& into) {
      std::size_t n = req.get_param_value_count(name);
      for (std::size_t i = 0; i < n; ++i) into.push_back(req.get_param_value(name, i));
      count += n;
    };
    take("checkout", ids.checkouts);
    take("build", ids.builds);
    take("test", ids.tests);
    take("incident", ids.incidents);
    std::size_t issues = req.get_param_value_count("issue");
    count += issues;
    if (count > kMaxQueryIds) {
      answer(res, 400, "0", "error",
             "At most " + std::to_string(kMaxQueryIds) + " ids may be queried at once");
      return;
    }
    for (std::size_t i = 0; i < issues; ++i) {
      // issue=ID or issue=ID@VERSION (ids may contain ':' but not '@'
      // in practice; the last '@' separates).
      std::string value = req.get_param_value("issue", i);
      std::optional<std::int64_t> version;
      std::size_t at = value.rfind('@');
      if (at != std::string::npos) {
        version = parse_version(value.substr(at + 1));
        if (!version) {
          answer(res, 400, "0", "error", "issue=" + value + ": expected ID or ID@VERSION");
          return;
        }
        value.resize(at);
      }
      for (auto& key : issue_keys(value, version)) ids.issues.push_back(std::move(key));
    }
    report::Report result;
    if (!ids.empty()) result = read_store->query(ids, wanted);
    send_report(res, result, wanted.with_metadata);
  }

  // Runs a handler, turning exceptions into 500 answers (the message goes
  // to the log, not to the client).
  template <typename Fn>
  httplib::Server::Handler guarded(Fn fn) {
    return [this, fn](const httplib::Request& req, httplib::Response& res) {
      try {
        (this->*fn)(req, res);
      } catch (const std::exception& e) {
        log::error("kci serve: " + req.method + " " + req.path + ": " + e.what());
        answer(res, 500, "0", "error", "Internal error; see the server's log");
      }
    };
  }

  void log_request(const httplib::Request& req, const httplib::Response& res) {
    double seconds = std::chrono::duration<double>(Clock::now() - t_request.start).count();
    metrics.request_duration.observe(seconds);
    if (options.access_log) {
      std::string who = t_request.submitter.empty() ? "-" : t_request.submitter;
      // Drop control characters from what the client chose.
      std::string path = req.path;
      for (char& c : path) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
      }
      for (char& c : who) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
      }
      char line[128];
      std::snprintf(line, sizeof line, " %d %zu %.1fms ", res.status, res.body.size(),
                    seconds * 1000.0);
      log::info(req.method + " " + path + line + who);
    }
  }

  void setup_routes() {
    http.new_task_queue = [n = options.threads] {
      return new httplib::ThreadPool(static_cast<std::size_t>(n));
    };
    http.set_read_timeout(static_cast<time_t>(options.read_timeout.count()));
    http.set_write_timeout(static_cast<time_t>(options.write_timeout.count()));
    http.set_keep_alive_timeout(static_cast<time_t>(options.keep_alive_timeout.count()));
    http.set_keep_alive_max_count(10000);
    // Answers are written in several pieces: without TCP_NODELAY Nagle and
    // delayed ACKs add ~40 ms to every request on a kept-alive connection.
    http.set_tcp_nodelay(true);
    http.set_payload_max_length(options.max_body_bytes);

    http.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
      t_request.start = Clock::now();
      t_request.submitter.clear();
      return httplib::Server::HandlerResponse::Unhandled;
    });
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      log_request(req, res);
    });
    http.set_error_handler(httplib::Server::HandlerWithResponse(
        [this](const httplib::Request& req, httplib::Response& res) {
          if (res.status == 413 && req.path == "/submit") metrics.reject(RejectReason::kTooLarge);
          if (res.body.empty()) {
            std::string message = res.status == 413
                                      ? "The body is larger than the limit of " +
                                            std::to_string(options.max_body_bytes) + " bytes"
                                      : "HTTP " + std::to_string(res.status);
            res.set_content(answer_json("0", "error", message), kJson);
            // httplib's own refusals (unreadable request, too large, timed
            // out) leave the stream in an unknown state: do not keep it.
            res.set_header("Connection", "close");
          }
          return httplib::Server::HandlerResponse::Handled;
        }));

    for (const Route& route : route_list()) {
      if (route.dashboard && !dashboard) continue;
      httplib::Server::Handler handler = guarded(route.handler);
      if (route.info.method == "POST") {
        http.Post(route.info.pattern, handler);
      } else {
        http.Get(route.info.pattern, handler);
      }
    }
  }

  using Handler = void (Impl::*)(const httplib::Request&, httplib::Response&);
  struct Route {
    RouteInfo info;
    Handler handler;
    bool dashboard = false;  // registered only when the dashboard is on
  };

  // The one list of routes (Server::routes() shows it without handlers).
  static const std::vector<Route>& route_list() {
    static const std::vector<Route> routes = [] {
      using A = RouteAccess;
      std::vector<Route> r = {
          {{"POST", "/submit", A::kSubmitter, true}, &Impl::submit},
          {{"GET", "/status", A::kSubmitter, false}, &Impl::status},
          {{"POST", "/callback/lava", A::kLava, true}, &Impl::lava_callback},
          {{"POST", R"(/api/v1/worker/(claim|heartbeat|complete))", A::kWorker, true},
           &Impl::worker_route},
          {{"GET", "/authtest", A::kAnyToken, false}, &Impl::authtest},
          {{"GET", R"(/api/v1/(checkouts|builds|tests|issues|incidents)/(.+))", A::kPublic, false},
           &Impl::object},
          {{"GET", "/api/v1/query", A::kPublic, false}, &Impl::query},
          {{"GET", R"(/api/v1/(compare|regressions|history|summary/.+))", A::kPublic, false},
           &Impl::analysis_api},
          {{"GET", "/metrics", A::kPublic, false}, &Impl::metrics_route},
          {{"GET", "/healthz", A::kPublic, false}, &Impl::health},
          {{"GET", "/health", A::kPublic, false}, &Impl::health},  // kcidb-ng's name
      };
      for (const std::string& pattern : web::Dashboard::route_patterns()) {
        r.push_back({{"GET", pattern, A::kPublic, false}, &Impl::dashboard_get, true});
      }
      return r;
    }();
    return routes;
  }

  void metrics_route(const httplib::Request&, httplib::Response& res) {
    std::string text = metrics.render();
    try {
      std::lock_guard lock(metrics_mutex);
      text += render_store_metrics(*metrics_sql, orchestrator::system_millis());
    } catch (const std::exception& e) {
      // The service's own counters still answer when the database does not.
      log::error(std::string("kci serve: /metrics: ") + e.what());
      text += "# the database part failed; see the server's log\n";
    }
    res.set_content(text, "text/plain; version=0.0.4");
  }

  void health(const httplib::Request&, httplib::Response& res) {
    res.set_content("OK", "text/plain");
  }

  // The analysis answers (src/analysis/api.h).
  void analysis_api(const httplib::Request& req, httplib::Response& res) {
    auto param = [&](const std::string& name) -> std::optional<std::string> {
      if (!req.has_param(name)) return std::nullopt;
      return req.get_param_value(name);
    };
    analysis::ApiResponse r = analysis::handle_api(*analysis_sql, req.matches[1], param);
    res.status = r.status;
    res.set_content(std::move(r.body), kJson);
  }

  // The dashboard's pages, static files and artifacts (GET and HEAD).
  void dashboard_get(const httplib::Request& req, httplib::Response& res) {
    web::WebRequest w;
    w.path = req.path;
    w.raw_target = req.target;
    for (const auto& [k, v] : req.params) w.params.emplace(k, v);
    w.accept = req.get_header_value("Accept");
    web::WebResponse r = dashboard->handle(w);
    res.status = r.status;
    for (const auto& [k, v] : r.headers) res.set_header(k, v);
    res.set_content(std::move(r.body), r.content_type);
  }

  void authtest(const httplib::Request& req, httplib::Response& res) {
    if (auto token = authenticate(req, res)) {
      answer(res, 200, "0", "ok", "Token " + token->id + " is valid");
    }
  }
};

std::vector<RouteInfo> Server::routes() {
  std::vector<RouteInfo> out;
  for (const auto& r : Impl::route_list()) out.push_back(r.info);
  return out;
}

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() {
  if (impl_->ingester) impl_->ingester->stop();
  if (impl_->live) impl_->live->stop();
}

void Server::start() {
  Impl& s = *impl_;
  s.read_store = store::open_store(s.options.database);
  s.read_store->init(true);
  s.analysis_sql = store::SqlConnection::open(s.options.database);
  analysis::migrate(*s.analysis_sql);
  s.metrics_sql = store::SqlConnection::open(s.options.database);
  s.callback_store = store::open_store(s.options.database);
  s.callback_sql = store::SqlConnection::open(s.options.database);
  s.workers = std::make_unique<WorkerService>(s.options.database, s.options.workers, &s.changes);
  s.tokens = TokenStore::open(*s.read_store);
  std::filesystem::path spool_dir =
      s.options.spool_dir.empty() ? default_spool_dir(s.options.database) : s.options.spool_dir;
  s.spool = std::make_unique<Spool>(spool_dir);

  IngestOptions ingest;
  ingest.workers = s.options.ingest_workers > 0                          ? s.options.ingest_workers
                   : s.options.database.driver == store::Driver::kSqlite ? 1
                                                                         : 2;
  ingest.batch_submissions = s.options.ingest_batch;
  if (s.options.live) {
    LiveOptions live = s.options.live_options;
    live.database = s.options.database;
    if (live.base_url.empty()) live.base_url = s.options.base_url;
    s.live = std::make_unique<LiveServices>(std::move(live));
    // Subscribed before the ingester starts; the first round catches up
    // from the cursors (what was loaded while no server ran).
    s.live->start(&s.changes);
  }
  s.ingester =
      std::make_unique<Ingester>(*s.spool, s.options.database, s.metrics, ingest, &s.changes);
  s.ingester->start();
  std::vector<Spool::Ready> pending = s.spool->recover();
  if (!pending.empty()) {
    log::info("kci serve: resuming " + std::to_string(pending.size()) + " spooled submission(s)");
  }
  for (auto& r : pending) {
    s.metrics.spool_depth.fetch_add(1);
    s.ingester->enqueue(std::move(r.id), r.written);
  }

  if (s.options.dashboard) {
    web::Dashboard::migrate(*s.read_store);
    web::DashboardOptions web_options;
    web_options.base_url = s.options.base_url;
    web_options.artifact_root = s.options.artifact_root;
    web_options.connections = s.options.dashboard_connections;
    s.dashboard = std::make_unique<web::Dashboard>(s.options.database, web_options);
  }
  s.setup_routes();
  if (s.options.port == 0) {
    s.bound_port = s.http.bind_to_any_port(s.options.host);
  } else if (s.http.bind_to_port(s.options.host, s.options.port)) {
    s.bound_port = s.options.port;
  }
  if (s.bound_port <= 0) {
    throw Error("cannot listen on " + s.options.host + ":" + std::to_string(s.options.port) +
                " (address in use or not available)");
  }
  log::info("kci serve: listening on " + s.options.host + ":" + std::to_string(s.bound_port) +
            ", database " + s.options.database.str() + ", spool " + spool_dir.string());
}

void Server::run() {
  impl_->http.listen_after_bind();
  impl_->ingester->stop();
  if (impl_->live) impl_->live->stop();
}

void Server::stop() { impl_->http.stop(); }

int Server::port() const { return impl_->bound_port; }

ingest::ChangeBus& Server::changes() { return impl_->changes; }

LiveServices* Server::live() { return impl_->live.get(); }

}  // namespace kci::server
