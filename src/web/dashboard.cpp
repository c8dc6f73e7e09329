// SPDX-License-Identifier: LGPL-2.1-or-later
#include "web/dashboard.h"

#include <condition_variable>
#include <cstdio>
#include <mutex>

#include "analysis/schema.h"
#include "store/store.h"
#include "util/log.h"
#include "web/artifacts.h"
#include "web/assets.h"
#include "web/html.h"
#include "web/page.h"
#include "web/render.h"

namespace kci::web {

namespace {

// Pages allow scripts, styles and images from the server only: no inline
// script or style, nothing from elsewhere, no framing, no form posts away.
constexpr const char* kPageCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

// The indexes the pages' queries need besides the store's own.
std::vector<store::Migration> web_migrations() {
  std::string both =
      // Trees: the checkouts of a time window.
      "CREATE INDEX IF NOT EXISTS web_checkouts_start_time ON checkouts (start_time);\n"
      // Previous/next checkout and a test's history: a branch's checkouts in time order.
      "CREATE INDEX IF NOT EXISTS web_checkouts_branch ON checkouts "
      "(git_repository_branch, git_repository_url, start_time);\n"
      // A test's history: one path among a build's tests.
      "CREATE INDEX IF NOT EXISTS web_tests_build_path ON tests (build_id, path);\n";
  std::string sqlite_only =
      // PostgreSQL has these from the store's schema already.
      "CREATE INDEX IF NOT EXISTS web_builds_checkout ON builds (checkout_id);\n"
      "CREATE INDEX IF NOT EXISTS web_incidents_build ON incidents (build_id);\n"
      "CREATE INDEX IF NOT EXISTS web_incidents_test ON incidents (test_id);\n";
  // The hardware page: the analysed checkouts of a time window.
  std::string v2 =
      "CREATE INDEX IF NOT EXISTS web_analysis_checkouts_time ON analysis_checkouts "
      "(order_time);\n";
  return {{1, "dashboard indexes: checkouts by time and branch, tests by build and path",
           both + sqlite_only, both},
          {2, "dashboard index: analysed checkouts by time", v2, v2}};
}

class ConnectionPool {
 public:
  ConnectionPool(store::DatabaseSpec spec, int size) : spec_(std::move(spec)), max_(size) {}

  struct Lease {
    ConnectionPool* pool;
    std::unique_ptr<store::SqlConnection> conn;
    ~Lease() {
      if (conn) pool->release(std::move(conn));
    }
  };

  Lease acquire() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return !idle_.empty() || created_ < max_; });
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return {this, std::move(c)};
    }
    ++created_;
    lock.unlock();
    try {
      return {this, store::SqlConnection::open(spec_)};
    } catch (...) {
      std::lock_guard again(mutex_);
      --created_;
      cv_.notify_one();
      throw;
    }
  }

 private:
  void release(std::unique_ptr<store::SqlConnection> c) {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(c));
    cv_.notify_one();
  }

  store::DatabaseSpec spec_;
  int max_;
  int created_ = 0;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<store::SqlConnection>> idle_;
};

bool wants_json(const WebRequest& req, std::string& path) {
  if (path.size() > 5 && path.ends_with(".json")) {
    path.resize(path.size() - 5);
    return true;
  }
  const std::string& accept = req.accept;
  std::size_t j = accept.find("application/json");
  if (j == std::string::npos) return false;
  std::size_t h = accept.find("text/html");
  return h == std::string::npos || j < h;
}

void security_headers(WebResponse& r) {
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "same-origin");
  r.headers.emplace_back("X-Frame-Options", "DENY");
}

}  // namespace

struct Dashboard::Impl {
  Impl(store::DatabaseSpec database, DashboardOptions o)
      : options(std::move(o)),
        pool(std::move(database), std::max(1, options.connections)),
        counts(options.counts_ttl) {}

  DashboardOptions options;
  ConnectionPool pool;
  CountsCache counts;

  WebResponse page(const WebRequest& req) {
    std::string path = req.path;
    bool json = wants_json(req, path);
    json::Document doc;
    doc.SetObject();
    std::string template_name;
    std::string title;
    WebResponse r;
    try {
      ConnectionPool::Lease lease = pool.acquire();
      PageContext ctx{*lease.conn, req.params, options, counts, doc};
      auto id_after = [&](std::string_view prefix) {
        std::string id = path.substr(prefix.size());
        if (id.empty()) throw PageError{404, "No such page"};
        return id;
      };
      if (path == "/" || path == "/trees") {
        template_name = "trees";
        title = trees_page(ctx);
      } else if (path.starts_with("/checkout/")) {
        template_name = "checkout";
        title = checkout_page(ctx, id_after("/checkout/"));
      } else if (path.starts_with("/build/")) {
        template_name = "build";
        title = build_page(ctx, id_after("/build/"));
      } else if (path.starts_with("/test/")) {
        template_name = "test";
        title = test_page(ctx, id_after("/test/"));
      } else if (path == "/issues") {
        template_name = "issues";
        title = issues_page(ctx);
      } else if (path.starts_with("/issue/")) {
        template_name = "issue";
        title = issue_page(ctx, id_after("/issue/"));
      } else if (path == "/regressions") {
        template_name = "regressions";
        title = regressions_page(ctx);
      } else if (path == "/compare") {
        template_name = "compare";
        title = compare_page(ctx);
      } else if (path == "/bisections") {
        template_name = "bisections";
        title = bisections_page(ctx);
      } else if (path.starts_with("/bisection/")) {
        template_name = "bisection";
        title = bisection_page(ctx, id_after("/bisection/"));
      } else if (path == "/hardware") {
        template_name = "hardware";
        title = hardware_page(ctx);
      } else if (path == "/tree") {
        template_name = "tree";
        title = tree_page(ctx);
      } else if (path.starts_with("/log/build/")) {
        template_name = "log";
        title = log_page(ctx, "build", id_after("/log/build/"));
      } else if (path.starts_with("/log/test/")) {
        template_name = "log";
        title = log_page(ctx, "test", id_after("/log/test/"));
      } else {
        throw PageError{404, "No such page"};
      }
    } catch (const PageError& e) {
      r.status = e.status;
      doc.SetObject();
      doc.AddMember("error", json::Value(e.message.c_str(), doc.GetAllocator()),
                    doc.GetAllocator());
      template_name = "error";
      title = e.status == 404 ? "Not found" : "Bad request";
    }
    doc.AddMember("kind", json::Value(template_name.c_str(), doc.GetAllocator()),
                  doc.GetAllocator());
    r.headers.emplace_back("Vary", "Accept");
    r.headers.emplace_back("Cache-Control", "no-cache");
    if (json) {
      r.content_type = "application/json";
      r.body = html_safe_json(json::write(doc));
    } else {
      std::string json_path = (path == "/" ? std::string("/trees") : path) + ".json";
      std::string query;
      for (const auto& [k, v] : req.params) {
        query += (query.empty() ? "?" : "&") + url_encode(k) + "=" + url_encode(v);
      }
      r.content_type = "text/html; charset=utf-8";
      r.body = render_page(template_name, title, options.base_url,
                           options.base_url + json_path + query, doc);
      r.headers.emplace_back("Content-Security-Policy", kPageCsp);
    }
    return r;
  }

  WebResponse static_file(const std::string& path) {
    WebResponse r;
    std::optional<std::string_view> content = find_asset(path.substr(1));
    if (!content || path.find("..") != std::string::npos) {
      r.status = 404;
      r.content_type = "text/plain; charset=utf-8";
      r.body = "No such file\n";
      return r;
    }
    r.body = std::string(*content);
    if (path.ends_with(".css"))
      r.content_type = "text/css; charset=utf-8";
    else if (path.ends_with(".js"))
      r.content_type = "text/javascript; charset=utf-8";
    else if (path.ends_with(".svg"))
      r.content_type = "image/svg+xml";
    else
      r.content_type = "application/octet-stream";
    r.headers.emplace_back("Cache-Control", "public, max-age=3600");
    return r;
  }
};

Dashboard::Dashboard(store::DatabaseSpec database, DashboardOptions options)
    : impl_(std::make_unique<Impl>(std::move(database), std::move(options))) {
  while (!impl_->options.base_url.empty() && impl_->options.base_url.back() == '/') {
    impl_->options.base_url.pop_back();
  }
  if (!impl_->options.artifact_root.empty()) {
    std::error_code ec;
    auto canonical = std::filesystem::canonical(impl_->options.artifact_root, ec);
    if (!ec) impl_->options.artifact_root = canonical;
  }
}

Dashboard::~Dashboard() = default;

void Dashboard::migrate(store::Store& store) {
  // The pages read the analysis tables: they exist (empty) before the
  // analysis first runs.
  store.apply_migrations(analysis::kComponent, analysis::migrations());
  store.apply_migrations("web", web_migrations());
}

bool Dashboard::handles(const std::string& path) {
  static const char* const kPages[] = {"/trees",      "/issues",   "/regressions", "/compare",
                                       "/bisections", "/hardware", "/tree"};
  for (const char* p : kPages) {
    if (path == p || path == std::string(p) + ".json") return true;
  }
  static const char* const kPrefixes[] = {"/checkout/",  "/build/", "/test/",   "/issue/",
                                          "/bisection/", "/log/",   "/static/", "/artifacts/"};
  for (const char* p : kPrefixes) {
    if (path.starts_with(p)) return true;
  }
  return path == "/" || path == "/favicon.ico";
}

const std::vector<std::string>& Dashboard::route_patterns() {
  static const std::vector<std::string> patterns = {
      "/", "/favicon\\.ico",
      "/(trees|issues|regressions|compare|bisections|hardware|tree)(\\.json)?",
      "/(checkout|build|test|issue|bisection|log|static|artifacts)/.+"};
  return patterns;
}

WebResponse Dashboard::handle(const WebRequest& req) {
  WebResponse r;
  try {
    if (req.path == "/favicon.ico") {
      r = impl_->static_file("/static/favicon.svg");
      r.content_type = "image/svg+xml";
    } else if (req.path.starts_with("/static/")) {
      r = impl_->static_file(req.path);
    } else if (req.path.starts_with("/artifacts/")) {
      r = serve_artifact(impl_->options.artifact_root, req.raw_target,
                         req.path.substr(std::string_view("/artifacts/").size()));
    } else {
      r = impl_->page(req);
    }
  } catch (const std::exception& e) {
    log::error("kci serve: GET " + std::string(req.path) + ": " + e.what());
    r = WebResponse{};
    r.status = 500;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "Internal error; see the server's log\n";
  }
  security_headers(r);
  return r;
}

}  // namespace kci::web
