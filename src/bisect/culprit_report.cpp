// SPDX-License-Identifier: LGPL-2.1-or-later
#include "bisect/culprit_report.h"

#include "report/json.h"
#include "util/sha256.h"

namespace kci::bisect {

report::Report culprit_report(const BisectResult& result, const CulpritReportInput& input) {
  if (!result.culprit) throw BisectError("the bisection found no culprit (" + result.status + ")");
  const CommitInfo& c = *result.culprit;
  report::Report out;
  report::Issue issue;
  issue.id = input.origin + ":bisect-" + c.hash.substr(0, 12);
  issue.version = 1;
  issue.origin = input.origin;
  issue.report_subject = c.subject;
  issue.culprit_code = true;
  issue.culprit_tool = false;
  issue.culprit_harness = false;
  std::string what = input.test_path.empty() ? "the build" : input.test_path;
  issue.comment = "kci bisect: " + c.hash.substr(0, 12) + " (\"" + c.subject + "\") breaks " +
                  what + "; checks: revert " + result.revert.result + ", verify " +
                  result.verify.result;
  // misc: what a reader of the issue needs to judge the bisection.
  json::Document misc;
  misc.SetObject();
  auto& a = misc.GetAllocator();
  misc.AddMember("commit", json::Value(c.hash.c_str(), a), a);
  misc.AddMember("author", json::Value(c.author.c_str(), a), a);
  misc.AddMember("good", json::Value(result.start.c_str(), a), a);
  misc.AddMember("bad", json::Value(result.bad.c_str(), a), a);
  if (!input.tree_url.empty())
    misc.AddMember("tree_url", json::Value(input.tree_url.c_str(), a), a);
  misc.AddMember("verify", json::Value(result.verify.result.c_str(), a), a);
  misc.AddMember("revert", json::Value(result.revert.result.c_str(), a), a);
  misc.AddMember("confidence", result.confidence, a);
  misc.AddMember("identical_image", result.identical_image, a);
  issue.misc = json::write(misc);
  out.issues.push_back(issue);

  auto incident = [&](const std::string& result_id, bool is_test) {
    report::Incident i;
    // Deterministic: the same result and issue always give the same id.
    i.id = input.origin + ":" + sha256_hex(result_id + "\n" + *issue.id + "\n1").substr(0, 40);
    i.origin = input.origin;
    i.issue_id = issue.id;
    i.issue_version = 1;
    if (is_test) {
      i.test_id = result_id;
    } else {
      i.build_id = result_id;
    }
    i.present = true;
    out.incidents.push_back(i);
  };
  for (const auto& id : input.failing_test_ids) incident(id, true);
  for (const auto& id : input.failing_build_ids) incident(id, false);
  return out;
}

}  // namespace kci::bisect
