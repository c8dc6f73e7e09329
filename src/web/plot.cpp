// SPDX-License-Identifier: LGPL-2.1-or-later
// SVG plots drawn by kci. Only classes style them (the dashboard's CSS):
// the Content-Security-Policy allows no inline styles.
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
