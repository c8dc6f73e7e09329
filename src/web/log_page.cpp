// SPDX-License-Identifier: LGPL-2.1-or-later
// The HTML view of a build's or test's log (/log/build/ID, /log/test/ID):
// the log of a local run, read from the artifact folder through the same
// confined opening as /artifacts/ (so no way out of it), split in pages of
// lines (each line an anchor #L<n>), the triage findings (build
// diagnostics, kernel crash reports) listed and their lines marked. Every
// byte of the log is escaped by the template. Logs elsewhere (http URLs)
// are linked, never fetched by the server.
#include <algorithm>

#include "triage/scan.h"
#include "util/text.h"
#include "web/artifacts.h"
#include "web/html.h"
#include "web/page.h"

namespace kci::web {

namespace {

constexpr std::size_t kLinesPerPage = 1500;
constexpr std::size_t kBytesPerPage = 120 * 1024;
constexpr std::size_t kMaxLineShown = 2000;
constexpr std::size_t kFindingsShown = 200;

// Splits text into lines (offsets of each line's start); a last line
// without a newline counts.
std::vector<std::size_t> line_starts(std::string_view text) {
  std::vector<std::size_t> out;
  if (text.empty()) return out;
  out.push_back(0);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && i + 1 < text.size()) out.push_back(i + 1);
  }
  return out;
}

std::string_view line_at(std::string_view text, const std::vector<std::size_t>& starts,
                         std::size_t i) {
  std::size_t begin = starts[i];
  std::size_t end = i + 1 < starts.size() ? starts[i + 1] - 1 : text.size();
  if (end > begin && text[end - 1] == '\n') --end;
  if (end > begin && text[end - 1] == '\r') --end;
  return text.substr(begin, end - begin);
}

// Valid UTF-8 for the page (invalid bytes become U+FFFD).
std::string clean_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = n > 0 && i + n <= s.size();
    for (std::size_t k = 1; ok && k < n; ++k) {
      ok = (static_cast<unsigned char>(s[i + k]) >> 6) == 2;
    }
    if (ok && n == 1 && c < 0x20 && c != '\t') ok = false;
    if (ok) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

}  // namespace

std::string log_page(PageContext& ctx, const std::string& kind, const std::string& id) {
  auto& a = ctx.alloc();
  if (kind != "build" && kind != "test") throw PageError{404, "No such page"};
  std::string log_url;
  bool found = false;
  ctx.db.exec("SELECT log_url FROM " + kind + "s WHERE id = $1", {id},
              [&](const store::SqlRow& row) {
                found = true;
                if (!row.is_null(0)) log_url = row.text(0);
              });
  if (!found) throw PageError{404, "No " + kind + " with id " + id};
  ctx.set(ctx.doc, "kind_name", kind);
  ctx.set(ctx.doc, "object_id", id);
  ctx.set(ctx.doc, "object_href", ctx.object_link(kind, id));
  ctx.set(ctx.doc, "log_url", log_url);
  std::string title = "Log of " + kind + " " + id;

  std::optional<std::string> href = log_url.empty() ? std::nullopt : ctx.href_for(log_url);
  std::string artifacts = ctx.link("/artifacts/");
  if (!href || !href->starts_with(artifacts)) {
    // Not a log of a local run: a link at most.
    if (href) ctx.set(ctx.doc, "log_url_href", *href);
    ctx.set(ctx.doc, "unavailable",
            log_url.empty() ? "This " + kind + " has no log."
                            : "The log is not in this server's artifact folder; it is not "
                              "fetched from elsewhere.");
    return title;
  }
  ctx.set(ctx.doc, "log_url_href", *href);
  std::string encoded = href->substr(artifacts.size() - std::string("/artifacts/").size());
  std::string rel = percent_decode(href->substr(artifacts.size()));
  WebResponse file = serve_artifact(ctx.options.artifact_root, encoded, rel);
  if (file.status != 200) {
    ctx.set(ctx.doc, "unavailable", "The log cannot be read: " + file.body);
    return title;
  }
  std::string_view text = file.body;
  std::vector<std::size_t> starts = line_starts(text);
  std::vector<triage::Finding> findings = triage::scan_text(
      kind == "build" ? triage::LogKind::kBuild : triage::LogKind::kConsole, text);

  // Marked lines: each finding's first line and its excerpt's extent, cut
  // where the next finding starts. Findings come in log order.
  std::vector<std::pair<std::size_t, std::size_t>> marked;  // [first, last], 1-based
  for (const triage::Finding& f : findings) {
    std::size_t n = std::max<std::size_t>(
        1, static_cast<std::size_t>(std::count(f.excerpt.begin(), f.excerpt.end(), '\n')) +
               (f.excerpt.ends_with('\n') ? 0 : 1));
    marked.emplace_back(f.line, f.line + n - 1);
  }
  for (std::size_t i = 0; i + 1 < marked.size(); ++i) {
    if (marked[i + 1].first > marked[i].first && marked[i].second >= marked[i + 1].first) {
      marked[i].second = marked[i + 1].first - 1;
    }
  }
  auto finding_of = [&](std::size_t line) -> int {
    int hit = -1;
    for (std::size_t i = 0; i < marked.size(); ++i) {
      if (line >= marked[i].first && line <= marked[i].second) hit = static_cast<int>(i);
    }
    return hit;
  };

  // Pages: kLinesPerPage lines, cut earlier at kBytesPerPage. Default:
  // the page of the first finding, else the last page.
  std::size_t total = starts.size();
  std::size_t from = 1;
  if (ctx.params.count("from")) {
    from = static_cast<std::size_t>(
        ctx.int_param("from", 1, 1, static_cast<std::int64_t>(std::max<std::size_t>(1, total))));
  } else if (!findings.empty()) {
    from = findings.front().line > 20 ? findings.front().line - 20 : 1;
  } else if (total > kLinesPerPage) {
    from = total - kLinesPerPage + 1;
  }
  json::Value lines(rapidjson::kArrayType);
  std::size_t bytes = 0, line = from;
  for (; line <= total && line < from + kLinesPerPage && bytes < kBytesPerPage; ++line) {
    std::string_view t = line_at(text, starts, line - 1);
    bool cut = t.size() > kMaxLineShown;
    if (cut) t = t.substr(0, kMaxLineShown);
    bytes += t.size();
    json::Value o(rapidjson::kObjectType);
    o.AddMember("n", static_cast<std::int64_t>(line), a);
    ctx.set(o, "text", clean_utf8(t) + (cut ? " [line cut]" : ""));
    int f = finding_of(line);
    if (f >= 0) {
      o.AddMember("finding", true, a);
      ctx.set(o, "finding_kind", findings[static_cast<std::size_t>(f)].kind);
    }
    lines.PushBack(o, a);
  }
  std::string self = "/log/" + kind + "/" + url_encode(id);
  if (from > 1) {
    std::size_t prev = from > kLinesPerPage ? from - kLinesPerPage : 1;
    ctx.set(ctx.doc, "prev_href", ctx.link(self + "?from=" + std::to_string(prev)));
  }
  if (line <= total)
    ctx.set(ctx.doc, "next_href", ctx.link(self + "?from=" + std::to_string(line)));

  json::Value list(rapidjson::kArrayType);
  for (std::size_t i = 0; i < findings.size() && i < kFindingsShown; ++i) {
    const triage::Finding& f = findings[i];
    json::Value o(rapidjson::kObjectType);
    ctx.set(o, "kind", f.kind);
    ctx.set(o, "title", clean_utf8(f.title));
    o.AddMember("line", static_cast<std::int64_t>(f.line), a);
    std::size_t page_from = f.line > 20 ? f.line - 20 : 1;
    ctx.set(o, "href",
            ctx.link(self + "?from=" + std::to_string(page_from) + "#L" + std::to_string(f.line)));
    list.PushBack(o, a);
  }
  ctx.doc.AddMember("findings", list, a);
  ctx.doc.AddMember("findings_total", static_cast<std::int64_t>(findings.size()), a);
  ctx.doc.AddMember("lines_total", static_cast<std::int64_t>(total), a);
  ctx.doc.AddMember("bytes_total", static_cast<std::int64_t>(text.size()), a);
  ctx.doc.AddMember("from", static_cast<std::int64_t>(from), a);
  ctx.doc.AddMember("to", static_cast<std::int64_t>(line - 1), a);
  ctx.doc.AddMember("lines", lines, a);
  return title;
}

}  // namespace kci::web
