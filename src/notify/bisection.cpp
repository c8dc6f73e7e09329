// SPDX-License-Identifier: LGPL-2.1-or-later
#include "notify/bisection.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string>

#include "report/json.h"
#include "util/error.h"

namespace kci::notify {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string member(const json::Value& object, const char* key) {
  if (!object.IsObject()) return "";
  auto it = object.FindMember(key);
  return it != object.MemberEnd() && it->value.IsString() ? std::string(json::str(it->value)) : "";
}

}  // namespace

BisectionResult bisection_report_of(const bisect::BisectionRecord& record,
                                    const std::string& reported_by) {
  const std::string where = "bisection " + std::to_string(record.id);
  json::Document d;
  d.Parse(record.result.c_str(), record.result.size());
  if (d.HasParseError() || !d.IsObject()) {
    throw InvalidInputError(where + ": no result (state " + record.state + ")");
  }
  auto culprit = d.FindMember("culprit");
  if (culprit == d.MemberEnd() || !culprit->value.IsObject()) {
    throw InvalidInputError(where + ": no culprit (" + member(d, "status") + ")");
  }
  const json::Value& c = culprit->value;
  const bisect::BisectRequest& q = record.request;
  BisectionResult r;
  r.tree = q.tree_name;
  r.branch = q.git_repository_branch;
  r.url = q.git_repository_url;
  r.target = q.build_only ? q.arch : q.platform;
  r.arch = q.arch;
  r.lab = q.lab;
  r.compiler = q.compiler.empty() ? q.toolchain : q.compiler;
  r.defconfig = q.config;
  r.test_case = q.build_only ? "build" : q.test_path;
  r.good_commit = member(d, "good").empty() ? q.good : member(d, "good");
  r.bad_commit = member(d, "bad").empty() ? q.bad : member(d, "bad");
  std::string bad_subject;
  if (auto steps = d.FindMember("steps"); steps != d.MemberEnd() && steps->value.IsArray()) {
    for (const auto& s : steps->value.GetArray()) {
      if (member(s, "stage") == "verify-bad") bad_subject = member(s, "subject");
    }
  }
  r.start_summary = r.bad_commit.substr(0, 12) + (bad_subject.empty() ? "" : " " + bad_subject);
  r.culprit_sha = member(c, "commit");
  r.result_summary = r.culprit_sha.substr(0, 12) + " " + member(c, "subject");
  r.culprit_author = member(c, "author");
  r.culprit_committer = member(c, "committer");
  if (auto t = c.FindMember("trailers"); t != c.MemberEnd() && t->value.IsArray()) {
    for (const auto& v : t->value.GetArray()) {
      if (v.IsString()) r.culprit_trailers.emplace_back(json::str(v));
    }
  }
  r.culprit_show = member(c, "show");
  if (auto checks = d.FindMember("checks"); checks != d.MemberEnd() && checks->value.IsObject()) {
    auto check = [&](const char* name) {
      auto it = checks->value.FindMember(name);
      if (it == checks->value.MemberEnd()) return std::string();
      std::string result = member(it->value, "result");
      return result == "PASS" || result == "FAIL" ? result : std::string();
    };
    r.check_revert = check("revert");
    r.check_verify = check("verify");
  }
  r.bisect_log = member(d, "bisect_log");
  r.plain_log = q.log_url;
  r.reported_by = reported_by;
  r.checkout_id = q.bad_checkout;
  return r;
}

int queue_bisection_reports(Notifier& notifier, store::SqlConnection& sql,
                            const std::string& reported_by, std::int64_t now) {
  bisect::BisectionTable table(sql);
  int queued = 0;
  for (const auto& record : table.list("done")) {
    if (record.culprit.empty()) continue;
    BisectionResult report = bisection_report_of(record, reported_by);
    CheckoutInfo checkout = notifier.checkout_info(record.request.bad_checkout);
    // A checkout the store does not know still names its tree.
    if (checkout.tree.empty()) checkout.tree = record.request.tree_name;
    if (checkout.branch.empty()) checkout.branch = record.request.git_repository_branch;
    if (checkout.origin.empty()) checkout.origin = record.request.origin;
    queued += notifier.queue_bisection(checkout, report, now);
  }
  return queued;
}

std::vector<Address> bisection_recipients(const BisectionResult& r) {
  static const char* const kTrailers[] = {
      "signed-off-by:", "reviewed-by:",     "acked-by:",    "tested-by:",
      "reported-by:",   "co-developed-by:", "suggested-by:"};
  std::vector<Address> out;
  std::set<std::string> seen;
  auto add = [&](std::string_view text) {
    try {
      Address a = parse_address(text);
      if (seen.insert(lower(a.email)).second) out.push_back(std::move(a));
    } catch (const InvalidInputError&) {
    }
  };
  auto trailer = [&](std::string_view line) {
    std::string head = lower(std::string(line.substr(0, std::min<std::size_t>(line.size(), 20))));
    for (const char* t : kTrailers) {
      std::string_view tv(t);
      if (head.rfind(tv, 0) == 0) add(line.substr(tv.size()));
    }
  };
  if (!r.culprit_author.empty()) add(r.culprit_author);
  if (!r.culprit_committer.empty()) add(r.culprit_committer);
  for (const auto& t : r.culprit_trailers) trailer(t);
  std::string_view show = r.culprit_show;
  std::size_t i = 0;
  while (i < show.size()) {
    std::size_t nl = show.find('\n', i);
    if (nl == std::string_view::npos) nl = show.size();
    std::string_view line = show.substr(i, nl - i);
    i = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.rfind("diff --git ", 0) == 0) break;  // the message is over
    std::size_t b = line.find_first_not_of(" \t");
    if (b == std::string_view::npos) continue;
    line.remove_prefix(b);
    if (line.rfind("Author:", 0) == 0) {
      add(line.substr(7));
      continue;
    }
    trailer(line);
  }
  return out;
}

}  // namespace kci::notify
