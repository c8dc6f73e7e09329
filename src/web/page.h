// SPDX-License-Identifier: LGPL-2.1-or-later
// What the dashboard's page builders share (internal to src/web): the
// request's context, the page's JSON document (which is also the data the
// HTML template renders), and helpers to read store rows into it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "report/json.h"
#include "store/sql.h"
#include "web/counts.h"
#include "web/dashboard.h"

namespace kci::web {

using Params = std::multimap<std::string, std::string>;

// A page that does not exist (404) or a request that makes no sense (400).
struct PageError {
  int status;
  std::string message;
};

// How a selected column becomes JSON.
enum class Col { kText, kTime, kInt, kReal, kBool, kJson, kArray };

struct Column {
  const char* name;  // column name, also the JSON member name
  Col kind;
};

struct PageContext {
  store::SqlConnection& db;
  const Params& params;
  const DashboardOptions& options;
  CountsCache& counts;
  json::Document& doc;  // an object; the page fills it

  json::Allocator& alloc() { return doc.GetAllocator(); }
  bool postgres() const { return db.driver() == store::Driver::kPostgresql; }

  // The query parameter, or fallback.
  std::string param(const std::string& name, const std::string& fallback = "") const;
  // An integer parameter within [lo, hi], else fallback.
  std::int64_t int_param(const std::string& name, std::int64_t fallback, std::int64_t lo,
                         std::int64_t hi) const;

  // base_url + path.
  std::string link(std::string_view path) const;
  std::string object_link(std::string_view kind, std::string_view id) const;

  json::Value str(std::string_view s) {
    return json::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), alloc());
  }
  void set(json::Value& obj, const char* name, json::Value value);
  void set(json::Value& obj, const char* name, std::string_view s) { set(obj, name, str(s)); }

  // "a.x, a.y" with the per-driver conversions (timestamps as RFC 3339
  // text, arrays and JSON as JSON text).
  std::string select_list(const char* alias, const std::vector<Column>& columns) const;
  // A row's columns [first, first + columns.size()) as a JSON object;
  // NULL columns are left out.
  json::Value row_object(const store::SqlRow& row, std::size_t first,
                         const std::vector<Column>& columns);
  // NULL-safe equality for this driver ("IS" / "IS NOT DISTINCT FROM").
  const char* is() const { return postgres() ? "IS NOT DISTINCT FROM" : "IS"; }

  // Adds "NAME_href" next to a URL member when the URL may be a link
  // (http(s), relative, or a file:// URL under the artifact root, which
  // becomes /artifacts/...).
  void add_href(json::Value& obj, const char* url_member);
  // The link for a URL, or nullopt.
  std::optional<std::string> href_for(std::string_view url) const;
  // For a parsed output_files/input_files list: adds "href" to each entry.
  void add_file_hrefs(json::Value& files);
  // misc (a JSON object) as a list of {key, value} text pairs for tables.
  json::Value misc_items(const json::Value& misc);
};

// Status names in display order and the buckets of the trees page.
extern const char* const kStatuses[7];  // PASS FAIL ERROR MISS SKIP DONE (none)

// The page builders. Each fills ctx.doc and returns the page title; throws
// PageError for 4xx answers.
std::string trees_page(PageContext& ctx);
std::string checkout_page(PageContext& ctx, const std::string& id);
std::string build_page(PageContext& ctx, const std::string& id);
std::string test_page(PageContext& ctx, const std::string& id);
std::string issues_page(PageContext& ctx);
std::string issue_page(PageContext& ctx, const std::string& id);
std::string regressions_page(PageContext& ctx);
std::string compare_page(PageContext& ctx);
std::string bisections_page(PageContext& ctx);
std::string bisection_page(PageContext& ctx, const std::string& id);
std::string hardware_page(PageContext& ctx);
std::string tree_page(PageContext& ctx);
// kind: "build" or "test".
std::string log_page(PageContext& ctx, const std::string& kind, const std::string& id);

// Pieces pages share: a checkout's counts as {builds: {...}, tests: {...}};
// a checkout in brief (or null); the incidents naming a build or test.
json::Value checkout_counts_json(PageContext& ctx, const std::string& checkout_id);
json::Value checkout_brief(PageContext& ctx, const std::string& checkout_id);
json::Value incidents_of(PageContext& ctx, const char* column, const std::string& id);

// Whether the database has this table (the analysis and bisection tables
// exist only once those ran or were migrated).
bool table_exists(PageContext& ctx, const std::string& name);
// The regressions failing in a checkout (of its branch), as JSON rows.
json::Value checkout_regressions(PageContext& ctx, const std::string& checkout_id);
// The regressions of one identity (all, active first), as JSON rows.
json::Value identity_regressions(PageContext& ctx, const std::string& identity_key);
// "failing since 2026-12-01 (6 days, 4 failures)".
std::string failing_since_text(long long days, const std::string& first_fail_time,
                               long long fail_count);

// The status history plot of a test identity: one mark per checkout,
// oldest left. points: {start_time, status, href, label}.
struct PlotPoint {
  std::string time;
  std::string status;
  std::string href;
  std::string label;
};
std::string history_svg(const std::vector<PlotPoint>& points);

// A bar per item (oldest left), each stacked from its segments (CSS class,
// value) scaled to the bar's total; the bar's label is its tooltip and a
// safe href makes it a link.
struct Bar {
  std::string label;
  std::string href;
  std::vector<std::pair<std::string, double>> segments;
};
std::string bars_svg(const std::vector<Bar>& bars, const std::string& label);

}  // namespace kci::web
