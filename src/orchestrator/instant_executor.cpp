// SPDX-License-Identifier: LGPL-2.1-or-later
#include "orchestrator/instant_executor.h"

#include <sstream>
#include <thread>

#include "util/error.h"
#include "util/sha256.h"
#include "util/text.h"
#include "util/time.h"

namespace kci::orchestrator {

namespace {

bool valid_result(const std::string& r) {
  return r == "pass" || r == "fail" || r == "skip" || r == "error";
}

std::string short_hash(const std::string& text) { return sha256_hex(text).substr(0, 16); }

}  // namespace

InstantScript instant_script_from_text(const std::string& text, const std::string& source) {
  InstantScript script;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    auto hash = line.find('#');
    if (hash != std::string::npos) line.erase(hash);
    std::istringstream words(line);
    std::string match, results, extra;
    if (!(words >> match)) continue;
    if (!(words >> results) || (words >> extra)) {
      throw InvalidInputError(source + ":" + std::to_string(number) +
                              ": expected 'SUBSTRING RESULT[,RESULT...]'");
    }
    InstantScriptLine l{match, {}};
    std::istringstream rs(results);
    std::string r;
    while (std::getline(rs, r, ',')) {
      if (!valid_result(r)) {
        throw InvalidInputError(source + ":" + std::to_string(number) + ": unknown result '" + r +
                                "' (pass, fail, skip, error)");
      }
      l.results.push_back(r);
    }
    if (l.results.empty()) {
      throw InvalidInputError(source + ":" + std::to_string(number) + ": no result");
    }
    script.push_back(std::move(l));
  }
  return script;
}

Outcome InstantExecutor::run(const Node& node, const Node& parent) {
  if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
  std::string verdict = "pass";
  for (const InstantScriptLine& l : script_) {
    if (node.name.find(l.match) == std::string::npos) continue;
    std::size_t i = static_cast<std::size_t>(node.retries);
    verdict = i < l.results.size() ? l.results[i] : l.results.back();
    break;
  }
  Outcome out;
  out.infrastructure_error = verdict == "error";
  out.result = verdict == "pass"   ? NodeResult::kPass
               : verdict == "fail" ? NodeResult::kFail
               : verdict == "skip" ? NodeResult::kSkip
                                   : NodeResult::kIncomplete;
  out.reason = "instant runtime: " + verdict;
  std::string attempt = std::to_string(node.id) + "-" + std::to_string(node.retries);
  // KCIDB ids are the node's, not the attempt's: an attempt whose report was
  // loaded but whose node was not finished (kill -9 in between) is merged
  // with the next attempt's report instead of staying as a second build
  // (found by tests/faults/kill/run_kill.sh).
  std::string object = std::to_string(node.id);
  std::string now = now_rfc3339();
  report::Status status = kcidb_status(out.result, out.infrastructure_error);
  if (node.kind == NodeKind::kKbuild) {
    report::Checkout c;
    c.id = origin_ + ":checkout-" +
           short_hash(node.get("tree") + "\n" + node.get("branch") + "\n" + node.get("commit"));
    c.origin = origin_;
    c.tree_name = node.get("tree");
    c.git_repository_branch = node.get("branch");
    if (!node.get("commit").empty()) c.git_commit_hash = node.get("commit");
    c.start_time = now;
    report::Build b;
    b.id = origin_ + ":kbuild-instant-" + object;
    b.origin = origin_;
    b.checkout_id = *c.id;
    b.architecture = node.get("arch");
    b.config_name = node.get("defconfig");
    b.compiler = node.get("toolchain");
    b.start_time = now;
    b.duration = 0;
    b.status = std::string(report::status_name(status));
    out.data["build_id"] = *b.id;
    out.data["artifact_dir"] = "instant:" + attempt;
    out.report.checkouts.push_back(std::move(c));
    out.report.builds.push_back(std::move(b));
  } else if (node.kind == NodeKind::kJob) {
    std::string build_id = node.get("build_id");
    if (build_id.empty()) build_id = parent.get("build_id");
    std::string path = (node.get("plan").empty() ? "baseline" : node.get("plan")) + ".login";
    report::Test t;
    t.id = origin_ + ":job-instant-" + object + "-" + path;
    t.origin = origin_;
    t.build_id = build_id;
    t.path = path;
    t.start_time = now;
    t.status = std::string(report::status_name(status));
    t.environment_comment = node.get("platform");
    out.report.tests.push_back(std::move(t));
    out.tests.push_back({path, out.result});
  } else {
    throw UsageError("the instant runtime runs kbuild and job nodes, not " +
                     std::string(kind_name(node.kind)));
  }
  return out;
}

}  // namespace kci::orchestrator
