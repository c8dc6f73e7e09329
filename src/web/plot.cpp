// SPDX-License-Identifier: LGPL-2.1-or-later
// SVG plots drawn by kci. Only classes style them (the dashboard's CSS):
// the Content-Security-Policy allows no inline styles.
#include <algorithm>
#include <cstdio>
#include <string>

#include "web/html.h"
#include "web/page.h"

namespace kci::web {

namespace {

std::string status_class(std::string_view status) {
  if (status == "PASS") return "pass";
  if (status == "FAIL") return "fail";
  if (status == "SKIP") return "skip";
  if (status == "ERROR" || status == "MISS") return "error";
  return "other";
}

}  // namespace

std::string history_svg(const std::vector<PlotPoint>& points) {
  if (points.empty()) return {};
  const int step = 18;
  const int width = std::max<int>(120, static_cast<int>(points.size()) * step + 20);
  const int height = 44;
  std::string svg = "<svg class=\"plot history\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    std::to_string(width) + "\" height=\"" + std::to_string(height) +
                    "\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) +
                    "\" role=\"img\" aria-label=\"Status history, oldest first\">";
  svg += "<line class=\"axis\" x1=\"4\" y1=\"22\" x2=\"" + std::to_string(width - 4) +
         "\" y2=\"22\"/>";
  for (std::size_t i = 0; i < points.size(); ++i) {
    const PlotPoint& p = points[i];
    int x = 14 + static_cast<int>(i) * step;
    std::string cls = status_class(p.status);
    std::optional<std::string> href = safe_link(p.href);
    if (href) svg += "<a href=\"" + escape_html(*href) + "\">";
    svg += "<circle class=\"mark " + cls + "\" cx=\"" + std::to_string(x) +
           "\" cy=\"22\" r=\"7\"><title>" + escape_html(p.label) + "</title></circle>";
    if (href) svg += "</a>";
  }
  svg += "</svg>";
  return svg;
}

}  // namespace kci::web

namespace kci::web {

std::string bars_svg(const std::vector<Bar>& bars, const std::string& label) {
  if (bars.empty()) return {};
  const int step = 14, bar = 10, height = 80, top = 4;
  const int width = std::max<int>(120, static_cast<int>(bars.size()) * step + 8);
  std::string svg = "<svg class=\"plot bars\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    std::to_string(width) + "\" height=\"" + std::to_string(height + top + 2) +
                    "\" viewBox=\"0 0 " + std::to_string(width) + " " +
                    std::to_string(height + top + 2) + "\" role=\"img\" aria-label=\"" +
                    escape_html(label) + "\">";
  svg += "<line class=\"axis\" x1=\"2\" y1=\"" + std::to_string(height + top) + "\" x2=\"" +
         std::to_string(width - 2) + "\" y2=\"" + std::to_string(height + top) + "\"/>";
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    double total = 0;
    for (const auto& s : b.segments) total += std::max(0.0, s.second);
    int x = 4 + static_cast<int>(i) * step;
    std::optional<std::string> href = safe_link(b.href);
    svg += href ? "<a href=\"" + escape_html(*href) + "\">" : std::string("<g>");
    svg += "<title>" + escape_html(b.label) + "</title>";
    double y = height + top;
    for (const auto& [cls, value] : b.segments) {
      if (total <= 0 || value <= 0) continue;
      double h = height * value / total;
      y -= h;
      char buf[160];
      std::snprintf(buf, sizeof buf,
                    "<rect class=\"seg %s\" x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\"/>",
                    cls.c_str(), x, y, bar, h);
      svg += buf;
    }
    if (total <= 0) {
      svg += "<rect class=\"seg none\" x=\"" + std::to_string(x) + "\" y=\"" +
             std::to_string(height + top - 2) + "\" width=\"" + std::to_string(bar) +
             "\" height=\"2\"/>";
    }
    svg += href ? "</a>" : "</g>";
  }
  svg += "</svg>";
  return svg;
}

}  // namespace kci::web
