// SPDX-License-Identifier: LGPL-2.1-or-later
// The dashboard's pages on a real SQLite store of generated results.
#include "web/dashboard.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

#include "generator.h"
#include "report/json.h"
#include "store/store.h"

namespace kci::web {
namespace {

namespace fs = std::filesystem;

class DashboardPages : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("kci-web-" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_);
    spec_ =
        new store::DatabaseSpec(store::parse_database_spec("sqlite:" + (*dir_ / "db").string()));
    auto s = store::open_store(*spec_);
    s->init(true);
    webtest::GeneratorOptions o;
    o.branches = 5;
    o.checkouts_per_branch = 5;
    o.tests_per_platform = 6;
    webtest::generate(o, [&](report::Report& r) { s->load(r); });
    s->load(webtest::hostile_report());
    Dashboard::migrate(*s);
    DashboardOptions options;
    options.connections = 2;
    dashboard_ = new Dashboard(*spec_, options);
  }
  static void TearDownTestSuite() {
    delete dashboard_;
    fs::remove_all(*dir_);
    delete spec_;
    delete dir_;
  }

  // Percent-decoding, as the HTTP server does before handing over.
  static std::string decode(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '%' && i + 2 < s.size()) {
        out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        out += s[i] == '+' ? ' ' : s[i];
      }
    }
    return out;
  }

  static WebResponse get(const std::string& path_and_query, const std::string& accept = "") {
    WebRequest req;
    std::size_t q = path_and_query.find('?');
    req.path = decode(path_and_query.substr(0, q));
    req.raw_target = path_and_query;
    if (q != std::string::npos) {
      std::string query = path_and_query.substr(q + 1);
      std::size_t start = 0;
      while (start < query.size()) {
        std::size_t amp = query.find('&', start);
        if (amp == std::string::npos) amp = query.size();
        std::string kv = query.substr(start, amp - start);
        std::size_t eq = kv.find('=');
        req.params.emplace(decode(kv.substr(0, eq)),
                           eq == std::string::npos ? "" : decode(kv.substr(eq + 1)));
        start = amp + 1;
      }
    }
    req.accept = accept;
    return dashboard_->handle(req);
  }

  static json::Document get_json(const std::string& path) {
    WebResponse r = get(path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    json::Document d;
    d.Parse(r.body.c_str());
    EXPECT_FALSE(d.HasParseError()) << path;
    return d;
  }

  static std::string header(const WebResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return {};
  }

  // The path of a link ("/checkout/...").
  static std::string href(const json::Value& v) { return std::string(json::str(v["href"])); }

  static fs::path* dir_;
  static store::DatabaseSpec* spec_;
  static Dashboard* dashboard_;
};

fs::path* DashboardPages::dir_ = nullptr;
store::DatabaseSpec* DashboardPages::spec_ = nullptr;
Dashboard* DashboardPages::dashboard_ = nullptr;

TEST_F(DashboardPages, TreesListsTheLatestCheckoutOfEachBranch) {
  json::Document d = get_json("/trees.json");
  ASSERT_TRUE(d["trees"].IsArray());
  // 5 generated tree/branch/origin combinations and the hostile one.
  EXPECT_EQ(d["trees"].Size(), 6u);
  EXPECT_EQ(d["days"].GetInt(), 14);
  for (const auto& t : d["trees"].GetArray()) {
    if (json::str(t["origin"]) == "xss") continue;
    EXPECT_EQ(t["checkouts_in_window"].GetInt(), 5);
    // 5 configs; the latest checkout of next/master has one failed build.
    EXPECT_EQ(t["builds"]["total"].GetInt(), 5);
    EXPECT_GT(t["tests"]["pass"].GetInt(), 0);
  }
  // The HTML page and the Accept header agree.
  WebResponse html = get("/");
  EXPECT_EQ(html.status, 200);
  EXPECT_NE(html.body.find("mainline"), std::string::npos);
  EXPECT_FALSE(header(html, "Content-Security-Policy").empty());
  EXPECT_EQ(get("/", "application/json").content_type, "application/json");
}

TEST_F(DashboardPages, TreesFilterAndSearch) {
  json::Document d = get_json("/trees.json?origin=broonie");
  ASSERT_EQ(d["trees"].Size(), 1u);
  EXPECT_EQ(json::str(d["trees"][0]["tree_name"]), "broonie-sound");
  d = get_json("/trees.json?q=linux-6.6");
  ASSERT_EQ(d["trees"].Size(), 1u);
  EXPECT_EQ(json::str(d["trees"][0]["git_repository_branch"]), "linux-6.6.y");
  std::string commit(json::str(d["trees"][0]["git_commit_hash"]));
  d = get_json("/trees.json?q=" + commit.substr(0, 10));
  ASSERT_EQ(d["trees"].Size(), 1u);
  d = get_json("/trees.json?q=xss:build");
  ASSERT_EQ(d["found"].Size(), 1u);
  EXPECT_EQ(json::str(d["found"][0]["kind"]), "build");
  EXPECT_EQ(get("/trees?days=0").status, 400);
  EXPECT_EQ(get("/trees?days=abc").status, 400);
}

TEST_F(DashboardPages, CheckoutBuildTestAndHistory) {
  json::Document trees = get_json("/trees.json?q=mainline&origin=maestro");
  ASSERT_EQ(trees["trees"].Size(), 1u);
  std::string checkout_path = href(trees["trees"][0]);
  json::Document c = get_json(checkout_path + ".json");
  EXPECT_EQ(c["builds"].Size(), 5u);
  EXPECT_TRUE(c.HasMember("previous"));
  EXPECT_FALSE(c.HasMember("next"));   // the latest
  EXPECT_GE(c["groups"].Size(), 10u);  // 5 configs x 2 platforms
  // The planted regression fails on the first platform of every config.
  bool regression_listed = false;
  for (const auto& f : c["failures"].GetArray()) {
    if (json::str(f["path"]) == webtest::kRegressingPath) regression_listed = true;
  }
  EXPECT_TRUE(regression_listed);
  // previous -> next comes back.
  json::Document prev = get_json(href(c["previous"]) + ".json");
  ASSERT_TRUE(prev.HasMember("next"));
  EXPECT_EQ(href(prev["next"]), checkout_path);

  std::string build_path = href(c["builds"][0]);
  json::Document b = get_json(build_path + ".json");
  EXPECT_EQ(b["tests"].Size(), 12u);  // 2 platforms x 6 paths
  EXPECT_TRUE(b["build"].HasMember("log_url_href"));
  EXPECT_TRUE(b["build"]["output_files"][0].HasMember("url_href"));

  std::string test_path;
  for (const auto& t : b["tests"].GetArray()) {
    if (json::str(t["path"]) == webtest::kRegressingPath && json::str(t["status"]) == "FAIL") {
      test_path = href(t);
    }
  }
  ASSERT_FALSE(test_path.empty());
  json::Document t = get_json(test_path + ".json");
  const auto& history = t["history"];
  ASSERT_EQ(history.Size(), 5u);  // one mark per checkout of the branch
  // PASS, PASS, then FAIL on the three newest: oldest first.
  EXPECT_EQ(json::str(history[0]["status"]), "PASS");
  EXPECT_EQ(json::str(history[1]["status"]), "PASS");
  EXPECT_EQ(json::str(history[2]["status"]), "FAIL");
  EXPECT_EQ(json::str(history[4]["status"]), "FAIL");
  EXPECT_TRUE(history[4]["current"].GetBool());
  WebResponse html = get(test_path);
  EXPECT_EQ(html.status, 200);
  EXPECT_NE(html.body.find("<svg class=\"plot history\""), std::string::npos);
  EXPECT_LT(html.body.size(), 200u * 1024);
}

TEST_F(DashboardPages, MissingObjectsAre404) {
  EXPECT_EQ(get("/checkout/nope").status, 404);
  EXPECT_EQ(get("/build/nope.json").status, 404);
  EXPECT_EQ(get("/test/nope").status, 404);
  EXPECT_EQ(get("/checkout/").status, 404);
  EXPECT_EQ(get("/static/nope.js").status, 404);
  EXPECT_EQ(get("/static/dashboard.js").status, 200);
}

// Every string of a hostile report is escaped and no javascript:/data: URL
// becomes a link (the browser test checks the same in Chromium).
TEST_F(DashboardPages, HostileReportIsInert) {
  for (std::string path :
       {std::string("/"), std::string("/checkout/") + webtest::kHostileCheckoutId,
        std::string("/build/") + webtest::kHostileBuildId,
        std::string("/test/") + webtest::kHostileTestId, std::string("/issues"),
        std::string("/issue/") + webtest::kHostileIssueId}) {
    WebResponse r = get(path);
    ASSERT_EQ(r.status, 200) << path;
    const std::string& html = r.body;
    EXPECT_EQ(html.find("<script>"), std::string::npos) << path;
    EXPECT_EQ(html.find("<img"), std::string::npos) << path;
    EXPECT_EQ(html.find("\"onmouseover="), std::string::npos) << path;
    EXPECT_NE(html.find("&lt;script&gt;window.__xss=1"), std::string::npos) << path;
    std::regex href(R"(href=\"([^\"]*)\")", std::regex::icase);
    for (std::sregex_iterator it(html.begin(), html.end(), href), end; it != end; ++it) {
      std::string url = (*it)[1].str();
      EXPECT_TRUE(url.starts_with("/") || url.starts_with("http://") || url.starts_with("https://"))
          << path << ": " << url;
    }
  }
}

// The JSON of the same pages (and of an error echoing the request) holds
// the hostile strings intact but no markup: < > & are \u escapes, so the
// JSON stays inert even where it is sniffed or pasted as HTML.
TEST_F(DashboardPages, HostileJsonHasNoMarkup) {
  for (std::string path : {std::string("/trees.json"),
                           std::string("/checkout/") + webtest::kHostileCheckoutId + ".json",
                           std::string("/issue/") + webtest::kHostileIssueId + ".json"}) {
    WebResponse r = get(path);
    ASSERT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body.find('<'), std::string::npos) << path;
    EXPECT_NE(r.body.find("\\u003cscript\\u003ewindow.__xss=1"), std::string::npos) << path;
    json::Document d;
    d.Parse(r.body.c_str());
    ASSERT_FALSE(d.HasParseError()) << path;
  }
  WebResponse r = get("/bisection/%3Cb%3E&amp.json");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body.find('<'), std::string::npos);
  json::Document d;
  d.Parse(r.body.c_str());
  ASSERT_FALSE(d.HasParseError());
  EXPECT_EQ(json::str(d["error"]), "No bisection <b>&amp");
}

TEST_F(DashboardPages, IssuesAndTheirIncidents) {
  json::Document list = get_json("/issues.json");
  ASSERT_EQ(list["issues"].Size(), 6u);  // one per generated branch, and the hostile one
  std::string issue_path;
  for (const auto& i : list["issues"].GetArray()) {
    if (json::str(i["id"]) == "maestro:null-ptr-deref-mainline") {
      // The regression fails on 5 configs' first platform in the 3 newest checkouts.
      EXPECT_EQ(i["incidents"].GetInt(), 15);
      issue_path = href(i);
    }
  }
  ASSERT_FALSE(issue_path.empty());
  std::size_t q = issue_path.find('?');
  json::Document issue = get_json(issue_path.substr(0, q) + ".json" + issue_path.substr(q));
  EXPECT_EQ(issue["incidents"].Size(), 15u);
  EXPECT_TRUE(issue["incidents"][0].HasMember("test_href"));
  EXPECT_EQ(get("/issue/nope").status, 404);
}

TEST(DashboardRoutes, Handles) {
  EXPECT_TRUE(Dashboard::handles("/"));
  EXPECT_TRUE(Dashboard::handles("/checkout/x"));
  EXPECT_TRUE(Dashboard::handles("/artifacts/a"));
  EXPECT_FALSE(Dashboard::handles("/api/v1/checkouts/x"));
  EXPECT_FALSE(Dashboard::handles("/submit"));
  // The router's patterns take exactly the paths the dashboard handles.
  auto routed = [](const std::string& path) {
    for (const std::string& p : Dashboard::route_patterns()) {
      if (std::regex_match(path, std::regex(p))) return true;
    }
    return false;
  };
  for (const char* path :
       {"/", "/trees", "/trees.json", "/issues", "/regressions", "/regressions.json", "/compare",
        "/bisections", "/hardware.json", "/tree", "/checkout/x", "/build/x.json", "/test/x",
        "/issue/x", "/bisection/1", "/log/build/x", "/static/dashboard.css", "/artifacts/a/b",
        "/favicon.ico"}) {
    EXPECT_TRUE(Dashboard::handles(path)) << path;
    EXPECT_TRUE(routed(path)) << path;
  }
  for (const char* path : {"/api/v1/compare", "/submit", "/metrics", "/treesx", "/log"}) {
    EXPECT_FALSE(Dashboard::handles(path)) << path;
    EXPECT_FALSE(routed(path)) << path;
  }
}

}  // namespace
}  // namespace kci::web
