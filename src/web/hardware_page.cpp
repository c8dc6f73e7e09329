// SPDX-License-Identifier: LGPL-2.1-or-later
// Page 8, hardware: per platform across trees (pass rate, results by
// status, the latest checkout with results on it) and per lab the share of
// infrastructure errors (ERROR and MISS) per day, drawn as bars. From the
// analysis summaries of the checkouts of the last `days` days (default
// 14): the cost follows the window, not the database.
#include <chrono>
#include <map>
#include <set>

#include "util/time.h"
#include "web/html.h"
#include "web/page.h"

namespace kci::web {

namespace {

struct PlatformStats {
  StatusCounts counts;
  std::set<std::string> trees;
  std::set<std::string> labs;
  std::string latest_time, latest_checkout, latest_label;
  StatusCounts latest;
};

struct LabStats {
  StatusCounts counts;
  std::map<std::string, StatusCounts> days;  // "YYYY-MM-DD" -> counts
};

double percent(std::int64_t part, std::int64_t whole) {
  return whole == 0 ? 0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

std::string percent_text(std::int64_t part, std::int64_t whole) {
  if (whole == 0) return "-";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f%%", percent(part, whole));
  return buf;
}

}  // namespace

std::string hardware_page(PageContext& ctx) {
  auto& a = ctx.alloc();
  std::int64_t days = ctx.int_param("days", 14, 1, 365);
  std::string platform_filter = ctx.param("platform");
  std::string since = format_rfc3339(ctx.options.now() - std::chrono::hours(24 * days));
  std::map<std::string, PlatformStats> platforms;
  std::map<std::string, LabStats> labs;
  if (table_exists(ctx, "analysis_summary")) {
    ctx.db.exec(
        "SELECT s.platform, s.lab, s.status, s.count, c.id, c.order_time, c.tree_name, "
        "c.git_repository_branch, c.describe FROM analysis_checkouts c JOIN analysis_summary s "
        "ON s.checkout_id = c.id WHERE c.order_time >= $1 AND s.kind <> 'build' AND "
        "($2 = '' OR s.platform = $2)",
        {since, platform_filter}, [&](const store::SqlRow& row) {
          std::string platform(row.text(0)), lab(row.text(1)), status(row.text(2));
          std::int64_t n = row.integer(3);
          std::string time(row.text(5));
          PlatformStats& p = platforms[platform];
          p.counts.add(status, n);
          p.trees.insert(std::string(row.text(6)) + " " + std::string(row.text(7)));
          if (!lab.empty()) p.labs.insert(lab);
          if (time > p.latest_time || (time == p.latest_time && row.text(4) != p.latest_checkout &&
                                       row.text(4) > p.latest_checkout)) {
            p.latest_time = time;
            p.latest_checkout = row.text(4);
            p.latest_label = std::string(row.text(6)) + " " + std::string(row.text(7)) + " " +
                             std::string(row.text(8));
            p.latest = StatusCounts{};
          }
          if (row.text(4) == p.latest_checkout) p.latest.add(status, n);
          LabStats& l = labs[lab];
          l.counts.add(status, n);
          l.days[time.substr(0, std::min<std::size_t>(10, time.size()))].add(status, n);
        });
  }

  json::Value prow(rapidjson::kArrayType);
  for (const auto& [name, p] : platforms) {
    json::Value o(rapidjson::kObjectType);
    ctx.set(o, "platform", name.empty() ? std::string("(unknown)") : name);
    ctx.set(o, "href",
            ctx.link("/hardware?days=" + std::to_string(days) + "&platform=" + url_encode(name)));
    o.AddMember("pass", p.counts.pass, a);
    o.AddMember("fail", p.counts.fail, a);
    o.AddMember("infra", p.counts.error + p.counts.miss, a);
    o.AddMember("other", p.counts.skip + p.counts.done + p.counts.none, a);
    o.AddMember("total", p.counts.total(), a);
    ctx.set(o, "pass_rate", percent_text(p.counts.pass, p.counts.pass + p.counts.fail));
    o.AddMember("trees", static_cast<std::int64_t>(p.trees.size()), a);
    std::string lab_list;
    for (const std::string& l : p.labs) lab_list += (lab_list.empty() ? "" : ", ") + l;
    ctx.set(o, "labs", lab_list);
    json::Value latest(rapidjson::kObjectType);
    ctx.set(latest, "checkout_id", p.latest_checkout);
    ctx.set(latest, "href", ctx.object_link("checkout", p.latest_checkout));
    ctx.set(latest, "label", p.latest_label);
    ctx.set(latest, "start_time", p.latest_time);
    latest.AddMember("pass", p.latest.pass, a);
    latest.AddMember("fail", p.latest.fail, a);
    latest.AddMember("infra", p.latest.error + p.latest.miss, a);
    o.AddMember("latest", latest, a);
    prow.PushBack(o, a);
  }

  json::Value lrow(rapidjson::kArrayType);
  for (const auto& [name, l] : labs) {
    json::Value o(rapidjson::kObjectType);
    std::int64_t infra = l.counts.error + l.counts.miss;
    ctx.set(o, "lab", name.empty() ? std::string("(unknown)") : name);
    o.AddMember("total", l.counts.total(), a);
    o.AddMember("infra", infra, a);
    ctx.set(o, "infra_share", percent_text(infra, l.counts.total()));
    std::vector<Bar> bars;
    json::Value per_day(rapidjson::kArrayType);
    for (const auto& [day, c] : l.days) {
      std::int64_t di = c.error + c.miss;
      bars.push_back(
          {day + ": " + percent_text(di, c.total()) + " infrastructure errors (" +
               std::to_string(di) + " of " + std::to_string(c.total()) + ")",
           "",
           {{"error", static_cast<double>(di)}, {"rest", static_cast<double>(c.total() - di)}}});
      json::Value d(rapidjson::kObjectType);
      ctx.set(d, "day", day);
      d.AddMember("total", c.total(), a);
      d.AddMember("infra", di, a);
      per_day.PushBack(d, a);
    }
    o.AddMember("days", per_day, a);
    ctx.set(o, "infra_svg", bars_svg(bars, "Share of infrastructure errors per day, oldest first"));
    lrow.PushBack(o, a);
  }
  ctx.doc.AddMember("days", days, a);
  ctx.set(ctx.doc, "since", since);
  ctx.set(ctx.doc, "platform", platform_filter);
  ctx.doc.AddMember("platforms", prow, a);
  ctx.doc.AddMember("labs", lrow, a);
  return platform_filter.empty() ? "Hardware" : "Hardware: " + platform_filter;
}

}  // namespace kci::web
