// SPDX-License-Identifier: LGPL-2.1-or-later
// The dashboard's pages on the fixture database (fixture.h) with a fixed
// clock: every page kind compared with its golden HTML file
// (tests/web/golden/NAME.html; regenerate with scripts/update-golden.sh or
// KCI_UPDATE_GOLDEN=1 build/tests/web/web_pages_test), the pages the
// analysis and bisection tables feed (compare, regressions, hardware,
// per-tree plots, bisections, HTML logs) checked by content, hostile
// strings inert on every page, and the same pages, byte for byte, on a
// PostgreSQL store (the throw-away cluster).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>

#include "fixture.h"
#include "report/json.h"
#include "store/pg_test_cluster.h"
#include "store/store.h"
#include "util/test_support.h"
#include "util/time.h"
#include "web/dashboard.h"

namespace kci::web {
namespace {

namespace fs = std::filesystem;

// 2026-12-07T06:00:00Z: the golden pages' "today".
const std::chrono::system_clock::time_point kNow{std::chrono::seconds(1796623200)};

std::string decode(const std::string& s) {
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

// A database with the fixture and a dashboard on it.
struct Site {
  fs::path dir;
  std::unique_ptr<Dashboard> dashboard;

  void open(const std::string& spec, const fs::path& work) {
    dir = work;
    fs::create_directories(dir);
    webtest::FixtureOptions o;
    o.generator.branches = 3;
    o.generator.checkouts_per_branch = 4;
    o.generator.tests_per_platform = 4;
    o.artifacts = dir / "artifacts";
    o.now = kNow;
    webtest::load_fixture(spec, o);
    auto s = store::open_store(spec);
    Dashboard::migrate(*s);
    DashboardOptions options;
    options.connections = 2;
    options.artifact_root = dir / "artifacts";
    options.now = [] { return kNow; };
    dashboard = std::make_unique<Dashboard>(store::parse_database_spec(spec), options);
  }

  WebResponse get(const std::string& target, const std::string& accept = "") {
    WebRequest req;
    std::size_t q = target.find('?');
    req.path = decode(target.substr(0, q));
    req.raw_target = target;
    if (q != std::string::npos) {
      std::string query = target.substr(q + 1);
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
    return dashboard->handle(req);
  }

  json::Document json(const std::string& target) {
    std::size_t q = target.find('?');
    std::string t = q == std::string::npos ? target + ".json"
                                           : target.substr(0, q) + ".json" + target.substr(q);
    WebResponse r = get(t);
    EXPECT_EQ(r.status, 200) << t << ": " << r.body;
    json::Document d;
    d.Parse(r.body.c_str());
    EXPECT_FALSE(d.HasParseError()) << t;
    return d;
  }
};

std::string str(const json::Value& v, const char* name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? std::string(json::str(it->value)) : "";
}

// The pages of the golden files: name -> target. Ids come from the JSON
// pages (they are deterministic for the fixed seed and clock).
std::vector<std::pair<std::string, std::string>> golden_pages(Site& site) {
  std::vector<std::pair<std::string, std::string>> pages;
  pages.emplace_back("trees", "/");
  json::Document trees = site.json("/trees?origin=maestro");
  std::string checkout, tree;
  for (const auto& t : trees["trees"].GetArray()) {
    if (str(t, "tree_name") == "mainline") {
      checkout = str(t, "href");
      tree = str(t, "tree_href");
    }
  }
  EXPECT_FALSE(checkout.empty());
  pages.emplace_back("checkout", checkout);
  json::Document c = site.json(checkout);
  std::string build = str(c["builds"][0], "href");
  pages.emplace_back("build", build);
  std::string test;
  for (const auto& r : c["regressions"].GetArray()) test = str(r["last_fail"], "href");
  EXPECT_FALSE(test.empty());
  pages.emplace_back("test", test);
  pages.emplace_back("compare", "/compare?b=" + checkout.substr(std::string("/checkout/").size()));
  pages.emplace_back(
      "compare-builds",
      "/compare?b=" + checkout.substr(std::string("/checkout/").size()) + "&kind=build");
  pages.emplace_back("regressions", "/regressions?all=1");
  pages.emplace_back("issues", "/issues");
  pages.emplace_back("issue", "/issue/maestro:null-ptr-deref-mainline");
  pages.emplace_back("hardware", "/hardware");
  pages.emplace_back("tree", tree);
  pages.emplace_back("bisections", "/bisections");
  pages.emplace_back("bisection", "/bisection/1");
  pages.emplace_back("bisection-failed", "/bisection/2");
  pages.emplace_back("log-build", std::string("/log/build/") + webtest::kLocalBuildId);
  pages.emplace_back("log-test", std::string("/log/test/") + webtest::kLocalTestId);
  pages.emplace_back("hostile-checkout", std::string("/checkout/") + webtest::kHostileCheckoutId);
  pages.emplace_back("hostile-test", std::string("/test/") + webtest::kHostileTestId);
  pages.emplace_back("not-found", "/checkout/nope");
  return pages;
}

class Pages : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    site_ = new Site;
    fs::path dir = fs::temp_directory_path() / ("kci-web-pages-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    site_->open("sqlite:" + (dir / "db").string(), dir);
  }
  static void TearDownTestSuite() {
    fs::remove_all(site_->dir);
    delete site_;
  }
  static Site* site_;
};
Site* Pages::site_ = nullptr;

fs::path golden_dir() { return fs::path(KCI_SOURCE_DIR) / "tests" / "web" / "golden"; }

}  // namespace

// ctest name Golden.WebPages: scripts/update-golden.sh regenerates them.
TEST(Golden, WebPages) {
  Site site;
  fs::path dir = fs::temp_directory_path() / ("kci-web-golden-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  site.open("sqlite:" + (dir / "db").string(), dir);
  for (const auto& [name, target] : golden_pages(site)) {
    WebResponse r = site.get(target);
    EXPECT_EQ(r.status, name == "not-found" ? 404 : 200) << target;
    EXPECT_LT(r.body.size(), 200u * 1024) << target;
    EXPECT_TRUE(testing::check_golden(golden_dir() / (name + ".html"), r.body)) << target;
  }
  fs::remove_all(dir);
}

namespace {

TEST_F(Pages, RegressionsNameFailingSinceUnstableAndKnownIssues) {
  json::Document d = site_->json("/regressions");
  ASSERT_TRUE(d["regressions"].IsArray());
  bool mainline = false;
  for (const auto& r : d["regressions"].GetArray()) {
    EXPECT_TRUE(r["active"].GetBool());
    EXPECT_NE(str(r, "failing_since").find("failing since "), std::string::npos);
    if (str(r, "origin") == "maestro" && str(r, "tree_name") == "mainline" &&
        str(r, "path") == webtest::kRegressingPath) {
      mainline = true;
      // The planted regression fails from the third newest of 4 checkouts on.
      EXPECT_EQ(r["fail_count"].GetInt(), 3);
      ASSERT_TRUE(r["known"].GetBool());
      EXPECT_EQ(str(r["known_issues"][0], "id"), "maestro:null-ptr-deref-mainline");
    }
  }
  EXPECT_TRUE(mainline);
  // Filters.
  json::Document f = site_->json("/regressions?tree=mainline&origin=maestro");
  for (const auto& r : f["regressions"].GetArray()) EXPECT_EQ(str(r, "tree_name"), "mainline");
  EXPECT_LT(f["total"].GetInt(), d["total"].GetInt());
  json::Document unknown = site_->json("/regressions?known=0");
  for (const auto& r : unknown["regressions"].GetArray()) EXPECT_FALSE(r["known"].GetBool());
  json::Document none = site_->json("/regressions?q=no-such-path");
  EXPECT_EQ(none["total"].GetInt(), 0);
  EXPECT_EQ(site_->get("/regressions?page=0").status, 400);
}

TEST_F(Pages, CompareListsTheAnalysisCategories) {
  json::Document trees = site_->json("/trees?origin=maestro");
  std::string checkout;
  for (const auto& t : trees["trees"].GetArray()) {
    if (str(t, "tree_name") == "mainline") checkout = str(t, "id");
  }
  // The newest checkout against the one before: the planted regression
  // fails in both, so it is still failing, not a regression.
  json::Document d = site_->json("/compare?b=" + checkout);
  ASSERT_EQ(d["categories"].Size(), 8u);
  EXPECT_EQ(str(d["categories"][0], "name"), "regression");
  bool still = false;
  for (const auto& c : d["categories"].GetArray()) {
    if (str(c, "name") != "still_failing") continue;
    for (const auto& i : c["items"].GetArray()) {
      if (str(i, "path") == webtest::kRegressingPath) still = true;
    }
  }
  EXPECT_TRUE(still);
  // The oldest one as A: now it is a regression.
  std::string a_id = str(d["choices"][d["choices"].Size() - 1], "id");
  json::Document d2 = site_->json("/compare?a=" + a_id + "&b=" + checkout);
  bool regression = false;
  for (const auto& i : d2["categories"][0]["items"].GetArray()) {
    if (str(i, "path") == webtest::kRegressingPath) regression = true;
  }
  EXPECT_TRUE(regression);
  EXPECT_EQ(site_->get("/compare").status, 400);
  EXPECT_EQ(site_->get("/compare?b=nope").status, 404);
  EXPECT_EQ(site_->get("/compare?b=" + checkout + "&kind=x").status, 400);
}

TEST_F(Pages, BisectionsListAndDetail) {
  json::Document d = site_->json("/bisections");
  ASSERT_EQ(d["bisections"].Size(), 2u);
  json::Document done = site_->json("/bisections?state=done");
  ASSERT_EQ(done["bisections"].Size(), 1u);
  EXPECT_EQ(str(done["bisections"][0], "culprit"), "3333333333333333333333333333333333333333");
  json::Document b = site_->json("/bisection/1");
  const auto& r = b["bisection"]["result"];
  EXPECT_EQ(str(r["culprit"], "subject"), "kci: probe: drop the device check");
  EXPECT_EQ(r["steps"].Size(), 2u);
  EXPECT_EQ(str(r["steps"][1], "verdict_class"), "fail");
  // The regression links to its bisection.
  json::Document regs = site_->json("/regressions?tree=mainline&origin=maestro");
  bool linked = false;
  for (const auto& g : regs["regressions"].GetArray()) {
    if (g.HasMember("bisections") && g["bisections"].Size() > 0) linked = true;
  }
  EXPECT_TRUE(linked);
  EXPECT_EQ(site_->get("/bisection/99").status, 404);
  EXPECT_EQ(site_->get("/bisection/x").status, 404);
  EXPECT_EQ(site_->get("/bisections?state=x").status, 400);
}

TEST_F(Pages, HardwareAndTreePlots) {
  json::Document h = site_->json("/hardware");
  ASSERT_GE(h["platforms"].Size(), 2u);
  ASSERT_GE(h["labs"].Size(), 1u);
  for (const auto& p : h["platforms"].GetArray()) {
    EXPECT_GT(p["total"].GetInt(), 0);
    EXPECT_FALSE(str(p["latest"], "checkout_id").empty());
  }
  EXPECT_NE(str(h["labs"][0], "infra_svg").find("<svg class=\"plot bars\""), std::string::npos);
  // Nothing in a window of one day before the data... the newest checkouts are today.
  json::Document one = site_->json("/hardware?days=1");
  EXPECT_LE(one["platforms"].Size(), h["platforms"].Size());

  json::Document trees = site_->json("/trees?origin=maestro");
  std::string tree = str(trees["trees"][0], "tree_href");
  json::Document t = site_->json(tree);
  EXPECT_EQ(t["checkouts"].Size(), 4u);
  EXPECT_NE(str(t, "tests_svg").find("<rect class=\"seg pass\""), std::string::npos);
  EXPECT_TRUE(t["checkouts"][0].HasMember("compare_href"));
  EXPECT_EQ(site_->get("/tree").status, 400);
  EXPECT_EQ(site_->get("/tree?tree=nope&branch=nope").status, 404);
}

TEST_F(Pages, HtmlLogsMarkTheFindingsAndStayInTheArtifactFolder) {
  json::Document b = site_->json(std::string("/log/build/") + webtest::kLocalBuildId);
  ASSERT_TRUE(b.HasMember("lines")) << json::write(b);
  EXPECT_EQ(b["lines_total"].GetInt(), 9);
  ASSERT_GE(b["findings"].Size(), 1u);
  EXPECT_EQ(str(b["findings"][0], "kind"), "compiler_error");
  EXPECT_EQ(b["findings"][0]["line"].GetInt(), 4);
  EXPECT_TRUE(b["lines"][3]["finding"].GetBool());
  WebResponse html = site_->get(std::string("/log/build/") + webtest::kLocalBuildId);
  EXPECT_NE(html.body.find("id=\"L4\" class=\"finding compiler_error\""), std::string::npos);
  EXPECT_EQ(html.body.find("<script>window"), std::string::npos);

  json::Document t = site_->json(std::string("/log/test/") + webtest::kLocalTestId);
  ASSERT_GE(t["findings"].Size(), 1u);
  EXPECT_EQ(t["findings"][0]["line"].GetInt(), 4);
  // Paging: from=10 shows the rest.
  json::Document p = site_->json(std::string("/log/test/") + webtest::kLocalTestId + "?from=10");
  EXPECT_EQ(p["lines"].Size(), 4u);
  EXPECT_EQ(site_->get(std::string("/log/test/") + webtest::kLocalTestId + "?from=0").status, 400);
  // A log that is not in the artifact folder is not fetched.
  json::Document remote = site_->json(std::string("/log/test/") + webtest::kHostileTestId);
  EXPECT_TRUE(remote.HasMember("unavailable"));
  EXPECT_FALSE(remote.HasMember("lines"));
  EXPECT_EQ(site_->get("/log/test/nope").status, 404);
  EXPECT_EQ(site_->get("/log/other/x").status, 404);
}

// Every new page with the hostile strings: escaped, no unsafe link.
TEST_F(Pages, HostileStringsAreInertOnEveryPage) {
  json::Document trees = site_->json("/trees?origin=xss");
  ASSERT_EQ(trees["trees"].Size(), 1u);
  std::string tree = str(trees["trees"][0], "tree_href");
  std::vector<std::string> targets = {
      "/regressions",
      "/regressions?all=1",
      std::string("/compare?b=") + webtest::kHostileCheckoutId,
      std::string("/checkout/") + webtest::kHostileCheckoutId,
      std::string("/test/") + webtest::kHostileTestId,
      "/bisections",
      "/bisection/2",
      "/hardware",
      tree,
      std::string("/log/build/") + webtest::kLocalBuildId,
      std::string("/log/test/") + webtest::kLocalTestId,
      std::string("/log/test/") + webtest::kHostileTestId,
  };
  bool hostile_regression = false;
  for (const std::string& target : targets) {
    WebResponse r = site_->get(target);
    ASSERT_EQ(r.status, 200) << target;
    const std::string& html = r.body;
    EXPECT_EQ(html.find("<script>"), std::string::npos) << target;
    EXPECT_EQ(html.find("<img"), std::string::npos) << target;
    EXPECT_EQ(html.find("\"onmouseover="), std::string::npos) << target;
    if (target == "/regressions" &&
        html.find("&lt;script&gt;window.__xss=1") != std::string::npos) {
      hostile_regression = true;
    }
    std::regex href(R"(href=\"([^\"]*)\")", std::regex::icase);
    for (std::sregex_iterator it(html.begin(), html.end(), href), end; it != end; ++it) {
      std::string url = (*it)[1].str();
      EXPECT_TRUE(url.starts_with("/") || url.starts_with("#") || url.starts_with("http://") ||
                  url.starts_with("https://"))
          << target << ": " << url;
    }
  }
  EXPECT_TRUE(hostile_regression);
}

// The same pages on PostgreSQL: byte for byte the golden files.
TEST(PagesOnPostgresql, SameAsTheGoldenFiles) {
  auto* cluster = store::testing::PgTestCluster::get();
  if (!cluster)
    KCI_MISSING_REAL_PART("no PostgreSQL: " << store::testing::PgTestCluster::skip_reason());
  Site site;
  fs::path dir = fs::temp_directory_path() / ("kci-web-pg-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  site.open(cluster->create_database(), dir);
  for (const auto& [name, target] : golden_pages(site)) {
    WebResponse r = site.get(target);
    EXPECT_EQ(r.status, name == "not-found" ? 404 : 200) << target;
    std::ifstream in(golden_dir() / (name + ".html"), std::ios::binary);
    std::string expected((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (r.body != expected) {
      fs::path got = fs::temp_directory_path() / ("kci-web-pg-" + name + ".html");
      std::ofstream(got, std::ios::binary) << r.body;
      ADD_FAILURE() << "PostgreSQL page differs from the golden file " << name << ".html: see "
                    << got;
    }
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kci::web
