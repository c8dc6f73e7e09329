// SPDX-License-Identifier: LGPL-2.1-or-later
#include "bisect/regression_request.h"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "report/json.h"
#include "util/error.h"

namespace kci::bisect {

namespace {

// A top-level string member of a JSON object text ("" when absent).
std::string misc_string(const report::Text& misc, const char* key) {
  if (!misc || misc->empty()) return "";
  json::Document d;
  d.Parse(misc->c_str(), misc->size());
  if (d.HasParseError() || !d.IsObject()) return "";
  auto it = d.FindMember(key);
  if (it == d.MemberEnd() || !it->value.IsString()) return "";
  return std::string(json::str(it->value));
}

// kbuild's toolchain name for a build that did not record one: the family
// of its KCIDB compiler.
std::string toolchain_of(const report::Build& build) {
  std::string t = misc_string(build.misc, "toolchain");
  if (!t.empty()) return t;
  const std::string compiler = build.compiler.value_or("");
  return compiler.find("clang") != std::string::npos ? "clang" : "gcc";
}

}  // namespace

std::optional<analysis::RegressionInfo> find_regression(store::SqlConnection& sql,
                                                        const std::string& regression_id) {
  std::optional<std::string> key;
  sql.exec("SELECT identity_key FROM analysis_regressions WHERE id = $1", {regression_id},
           [&](const store::SqlRow& row) { key = std::string(row.text(0)); });
  if (!key) return std::nullopt;
  analysis::RegressionFilter filter;
  filter.identity_key = key;
  filter.all = true;
  for (auto& r : analysis::regressions(sql, filter)) {
    if (r.id == regression_id) return std::move(r);
  }
  return std::nullopt;
}

BisectRequest regression_request(store::SqlConnection& sql, store::Store& store,
                                 const std::string& regression_id) {
  auto regression = find_regression(sql, regression_id);
  if (!regression) {
    throw InvalidInputError("regression " + regression_id +
                            ": not in the analysis tables (see kci regressions --all)");
  }
  return regression_request(sql, store, *regression);
}

BisectRequest regression_request(store::SqlConnection& sql, store::Store& store,
                                 const analysis::RegressionInfo& r) {
  const analysis::Identity& id = r.identity.identity;
  const std::string where = "regression " + r.id;
  BisectRequest q;
  q.regression_id = r.id;
  q.identity_key = r.identity.key;
  q.build_only = id.kind == analysis::Kind::kBuild;
  q.origin = id.origin;
  q.tree_name = id.tree_name;
  q.git_repository_url = id.git_repository_url;
  q.git_repository_branch = id.git_repository_branch;
  q.good_checkout = r.last_pass.checkout_id;
  q.bad_checkout = r.first_fail.checkout_id;
  q.good_describe = r.last_pass.describe;
  q.bad_describe = r.first_fail.describe;
  if (r.last_pass.id.empty() || q.good_checkout.empty()) {
    throw InvalidInputError(where + ": it never passed (no last pass to bisect from)");
  }
  auto commit_of = [&](const std::string& checkout, const char* which) {
    auto c = analysis::checkout_info(sql, checkout);
    if (!c || c->git_commit_hash.empty()) {
      throw InvalidInputError(where + ": the " + which + " checkout " + checkout +
                              " has no git_commit_hash");
    }
    return c->git_commit_hash;
  };
  q.good = commit_of(q.good_checkout, "last pass");
  q.bad = commit_of(q.bad_checkout, "first fail");
  if (q.good == q.bad) {
    throw InvalidInputError(where + ": the last pass and the first failure are the same commit " +
                            q.good + " (nothing to bisect)");
  }

  // The failing result and its build, from the store.
  store::QueryIds ids;
  (q.build_only ? ids.builds : ids.tests).push_back(r.first_fail.id);
  store::QueryOptions options;
  options.parents = true;
  report::Report objects = store.query(ids, options);
  const report::Build* build = nullptr;
  const report::Test* test = nullptr;
  if (q.build_only) {
    for (const auto& b : objects.builds)
      if (b.id == r.first_fail.id) build = &b;
  } else {
    for (const auto& t : objects.tests)
      if (t.id == r.first_fail.id) test = &t;
    if (!test) {
      throw InvalidInputError(where + ": its first failing test " + r.first_fail.id +
                              " is not in the store");
    }
    for (const auto& b : objects.builds)
      if (b.id == test->build_id) build = &b;
  }
  if (!build) {
    throw InvalidInputError(where + ": the build of its first failure " + r.first_fail.id +
                            " is not in the store");
  }
  q.arch = build->architecture.value_or(id.architecture);
  q.config = build->config_name.value_or(id.config_name);
  q.compiler = build->compiler.value_or(id.compiler);
  q.toolchain = toolchain_of(*build);
  if (q.arch.empty() || q.config.empty()) {
    throw InvalidInputError(where + ": its failing build " + build->id.value_or("") +
                            " has no architecture or config_name to rebuild");
  }
  if (q.build_only) {
    q.log_url = build->log_url.value_or("");
    for (const auto* p : {&r.first_fail, &r.last_fail})
      if (!p->id.empty()) q.failing_build_ids.push_back(p->id);
  } else {
    q.test_path = id.path;
    q.platform = id.platform;
    q.lab = analysis::lab_of(*test);
    q.plan = misc_string(test->misc, "plan");
    if (q.plan.empty()) q.plan = q.test_path.substr(0, q.test_path.find('.'));
    q.log_url = test->log_url.value_or("");
    for (const auto* p : {&r.first_fail, &r.last_fail})
      if (!p->id.empty()) q.failing_test_ids.push_back(p->id);
  }
  auto& failing = q.build_only ? q.failing_build_ids : q.failing_test_ids;
  std::sort(failing.begin(), failing.end());
  failing.erase(std::unique(failing.begin(), failing.end()), failing.end());
  return q;
}

KernelStepOptions step_options(const BisectRequest& q, KernelStepOptions base) {
  base.arch = q.arch;
  base.config = q.config;
  base.toolchain = q.toolchain;
  // A build bisection's checks rebuild: the build is what they repeat.
  base.rebuild_in_checks = q.build_only;
  if (!q.build_only) {
    base.test_path = q.test_path;
    if (!q.plan.empty()) base.plan = q.plan;
    if (!q.platform.empty()) base.platform = q.platform;
  }
  return base;
}

CulpritReportInput culprit_input(const BisectRequest& q, const std::string& origin) {
  CulpritReportInput in;
  in.origin = origin;
  in.tree_url = q.git_repository_url;
  in.test_path = q.build_only ? "" : q.test_path;
  in.failing_test_ids = q.failing_test_ids;
  in.failing_build_ids = q.failing_build_ids;
  return in;
}

namespace {

// The string members of a request, by name (the one list both directions use).
template <typename R>
auto string_fields(R& q) {
  return std::vector<std::pair<const char*, decltype(&q.regression_id)>>{
      {"regression_id", &q.regression_id},
      {"identity_key", &q.identity_key},
      {"origin", &q.origin},
      {"tree_name", &q.tree_name},
      {"git_repository_url", &q.git_repository_url},
      {"git_repository_branch", &q.git_repository_branch},
      {"good_checkout", &q.good_checkout},
      {"bad_checkout", &q.bad_checkout},
      {"good", &q.good},
      {"bad", &q.bad},
      {"good_describe", &q.good_describe},
      {"bad_describe", &q.bad_describe},
      {"arch", &q.arch},
      {"config", &q.config},
      {"toolchain", &q.toolchain},
      {"compiler", &q.compiler},
      {"test_path", &q.test_path},
      {"plan", &q.plan},
      {"platform", &q.platform},
      {"lab", &q.lab},
      {"log_url", &q.log_url}};
}

}  // namespace

std::string request_json(const BisectRequest& q) {
  json::Document d;
  d.SetObject();
  auto& a = d.GetAllocator();
  for (const auto& [name, field] : string_fields(q)) {
    d.AddMember(json::Value(name, a), json::Value(field->c_str(), a), a);
  }
  d.AddMember("build_only", q.build_only, a);
  for (const auto& [name, list] : {std::pair{"failing_test_ids", &q.failing_test_ids},
                                   std::pair{"failing_build_ids", &q.failing_build_ids}}) {
    json::Value array(rapidjson::kArrayType);
    for (const auto& s : *list) array.PushBack(json::Value(s.c_str(), a), a);
    d.AddMember(json::Value(name, a), array, a);
  }
  return json::write(d);
}

BisectRequest request_from_json(std::string_view text) {
  json::Document d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError() || !d.IsObject()) {
    throw InvalidInputError(
        std::string("bisection request: not a JSON object") +
        (d.HasParseError() ? std::string(": ") + rapidjson::GetParseError_En(d.GetParseError())
                           : ""));
  }
  BisectRequest q;
  for (const auto& [name, field] : string_fields(q)) {
    auto it = d.FindMember(name);
    if (it == d.MemberEnd()) continue;
    if (!it->value.IsString()) {
      throw InvalidInputError(std::string("bisection request: /") + name + " is not a string");
    }
    *field = std::string(json::str(it->value));
  }
  if (auto it = d.FindMember("build_only"); it != d.MemberEnd() && it->value.IsBool()) {
    q.build_only = it->value.GetBool();
  }
  for (const auto& [name, list] : {std::pair{"failing_test_ids", &q.failing_test_ids},
                                   std::pair{"failing_build_ids", &q.failing_build_ids}}) {
    auto it = d.FindMember(name);
    if (it == d.MemberEnd()) continue;
    if (!it->value.IsArray()) {
      throw InvalidInputError(std::string("bisection request: /") + name + " is not an array");
    }
    for (const auto& v : it->value.GetArray()) {
      if (!v.IsString()) {
        throw InvalidInputError(std::string("bisection request: /") + name + " holds a non-string");
      }
      list->emplace_back(json::str(v));
    }
  }
  return q;
}

}  // namespace kci::bisect
