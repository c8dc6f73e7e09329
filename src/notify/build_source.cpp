// SPDX-License-Identifier: LGPL-2.1-or-later
#include "notify/build_source.h"

#include <map>
#include <string_view>
#include <tuple>

#include "analysis/queries.h"
#include "analysis/schema.h"
#include "triage/build_scan.h"
#include "triage/log_fetch.h"
#include "triage/log_text.h"

namespace kci::notify {
namespace {

// The log line that names the finding: the excerpt's line holding its
// message (gcc's "file:line:col: error: ..." line rather than the "In
// function" line before it), else the excerpt's first line, else its title.
std::string finding_line(const triage::Finding& f) {
  std::vector<std::string_view> lines = excerpt_lines(f.excerpt);
  for (std::string_view line : lines) {
    if (!f.message.empty() && line.find(f.message) != std::string_view::npos)
      return std::string(line);
  }
  return lines.empty() ? f.title : std::string(lines.front());
}

void add_findings(const std::vector<triage::Finding>& findings, std::size_t max_lines,
                  BuildResult& b) {
  for (const auto& f : findings) {
    std::vector<std::string>* to = nullptr;
    if (f.kind.size() > 6 && f.kind.compare(f.kind.size() - 6, 6, "_error") == 0) {
      to = &b.errors;
    } else if (f.kind == "modpost_warning" &&
               f.message.find("section mismatch") != std::string::npos) {
      to = &b.section_mismatches;
    } else {
      to = &b.warnings;
    }
    if (to->size() < max_lines) to->push_back(finding_line(f));
  }
}

std::vector<triage::Finding> scan_log(const report::Build& build,
                                      const BuildSourceOptions& options) {
  std::vector<triage::Finding> out;
  if (options.fetch_logs && build.log_url && !build.log_url->empty()) {
    try {
      triage::BuildScanner scanner([&](triage::Finding&& f) { out.push_back(std::move(f)); });
      triage::FetchOptions fo;
      fo.max_bytes = options.max_log_bytes;
      fo.timeout_seconds = options.fetch_timeout_seconds;
      fo.cache_dir = options.log_cache_dir;
      fo.policy = options.fetch_policy;
      std::string partial;
      std::size_t number = 0;
      triage::fetch_log(*build.log_url, fo, [&](std::string_view chunk) {
        partial.append(chunk);
        std::size_t start = 0, nl;
        while ((nl = partial.find('\n', start)) != std::string::npos) {
          scanner.line(std::string_view(partial).substr(start, nl - start), ++number);
          start = nl + 1;
        }
        partial.erase(0, start);
      });
      if (!partial.empty()) scanner.line(partial, ++number);
      scanner.finish();
      return out;
    } catch (const triage::FetchError&) {
      out.clear();  // fall back to the excerpt
    }
  }
  if (build.log_excerpt) out = triage::scan_build(*build.log_excerpt);
  return out;
}

}  // namespace

std::vector<std::string_view> excerpt_lines(std::string_view text, std::size_t max) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size() && out.size() < max) {
    std::size_t nl = text.find('\n', i);
    if (nl == std::string_view::npos) nl = text.size();
    if (nl > i) out.push_back(text.substr(i, nl - i));
    i = nl + 1;
  }
  return out;
}

std::optional<CheckoutFacts> checkout_facts(store::SqlConnection& sql,
                                            const std::string& checkout_id) {
  std::optional<CheckoutFacts> out;
  sql.exec(
      "SELECT id, origin, COALESCE(tree_name, ''), COALESCE(git_repository_branch, ''), "
      "COALESCE(git_repository_url, ''), COALESCE(git_commit_hash, ''), "
      "COALESCE(git_commit_name, '') FROM checkouts WHERE id = $1",
      {checkout_id}, [&](const store::SqlRow& r) {
        CheckoutFacts f;
        f.id = std::string(r.text(0));
        f.origin = std::string(r.text(1));
        f.tree = std::string(r.text(2));
        f.branch = std::string(r.text(3));
        f.url = std::string(r.text(4));
        f.commit = std::string(r.text(5));
        f.describe = std::string(r.text(6));
        if (f.describe.empty()) f.describe = f.commit.substr(0, 12);
        out = std::move(f);
      });
  return out;
}

std::optional<BuildReport> build_report_of(store::Store& store, store::SqlConnection& sql,
                                           const std::string& checkout_id,
                                           const std::string& base_url,
                                           const BuildSourceOptions& options) {
  auto info = checkout_facts(sql, checkout_id);
  if (!info) return std::nullopt;
  report::Report found;
  store::Selection sel;
  sel.column = "checkout_id";
  sel.values = {checkout_id};
  store.select(report::ObjectType::kBuild, sel, false, found);
  if (found.builds.empty()) return std::nullopt;

  // The last good build of each configuration that regressed here (when
  // the analysis ran on this database).
  using Key = std::tuple<std::string, std::string, std::string>;
  std::map<Key, std::string> last_pass;
  analysis::RegressionFilter filter;
  filter.tree = info->tree;
  filter.branch = info->branch;
  filter.origin = info->origin;
  filter.last_fail_checkout = checkout_id;
  bool analysed = sql.component_version(analysis::kComponent) > 0;
  for (const auto& r :
       analysed ? analysis::regressions(sql, filter) : std::vector<analysis::RegressionInfo>{}) {
    const analysis::Identity& id = r.identity.identity;
    if (id.kind != analysis::Kind::kBuild || r.last_fail.checkout_id != checkout_id) continue;
    last_pass[{id.architecture, id.config_name, id.compiler}] = r.last_pass.describe;
  }

  BuildReport out;
  out.tree = info->tree;
  out.branch = info->branch;
  out.describe = info->describe;
  out.commit = info->commit;
  out.url = info->url;
  out.checkout_id = checkout_id;
  out.details_url = base_url + "/checkout/" + checkout_id;
  for (const auto& b : found.builds) {
    BuildResult r;
    r.defconfig = b.config_name.value_or("");
    r.arch = b.architecture.value_or("");
    r.compiler = b.compiler.value_or("");
    // KCIDB statuses: PASS; FAIL (the kernel did not build); ERROR, MISS,
    // ... (the build did not run to a verdict) are not passes either.
    r.status = b.status.value_or("MISS");
    r.url = base_url + "/build/" + b.id.value_or("");
    r.log_url = b.log_url.value_or("");
    add_findings(scan_log(b, options), options.max_lines, r);
    auto lp = last_pass.find({r.arch, r.defconfig, r.compiler});
    if (lp != last_pass.end() && r.status != "PASS") r.last_pass = lp->second;
    out.builds.push_back(std::move(r));
  }
  return out;
}

}  // namespace kci::notify
