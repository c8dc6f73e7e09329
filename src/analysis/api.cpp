// SPDX-License-Identifier: LGPL-2.1-or-later
#include "analysis/api.h"

#include "analysis/output.h"
#include "analysis/queries.h"
#include "report/json.h"
#include "util/error.h"

namespace kci::analysis {

namespace {

ApiResponse error(int status, const std::string& message) {
  json::Document d;
  d.SetObject();
  d.AddMember("error", json::Value(message.c_str(), d.GetAllocator()), d.GetAllocator());
  return {status, json::write(d)};
}

bool flag(const ApiParam& param, const std::string& name) {
  auto v = param(name);
  return v && (*v == "1" || *v == "true" || *v == "yes");
}

}  // namespace

bool is_api_route(const std::string& route) {
  return route == "compare" || route == "regressions" || route == "history" ||
         route.rfind("summary/", 0) == 0;
}

ApiResponse handle_api(store::SqlConnection& sql, const std::string& route, const ApiParam& param) {
  try {
    if (route == "compare") {
      auto a = param("a"), b = param("b");
      if (!a || !b) return error(400, "compare needs the parameters a and b (checkout ids)");
      if (!checkout_info(sql, *a)) return error(404, "unknown checkout '" + *a + "'");
      if (!checkout_info(sql, *b)) return error(404, "unknown checkout '" + *b + "'");
      return {200, compare_json(
                       compare(sql, *a, *b, flag(param, "builds") ? Kind::kBuild : Kind::kTest))};
    }
    if (route == "regressions") {
      RegressionFilter f;
      f.tree = param("tree");
      f.branch = param("branch");
      f.origin = param("origin");
      f.all = flag(param, "all");
      std::string body = "[";
      for (const auto& r : regressions(sql, f)) {
        if (body.size() > 1) body += ',';
        body += regression_json(r);
      }
      return {200, body + "]"};
    }
    if (route == "history") {
      std::vector<IdentityInfo> ids;
      auto test = param("test"), build = param("build");
      if (test || build) {
        auto info = identity_of(sql, test ? Kind::kTest : Kind::kBuild, test ? *test : *build);
        if (!info) return error(404, "unknown result '" + (test ? *test : *build) + "'");
        ids.push_back(*info);
      } else {
        IdentityQuery q;
        q.origin = param("origin");
        q.tree = param("tree");
        q.branch = param("branch");
        q.architecture = param("arch");
        q.config_name = param("config");
        q.compiler = param("compiler");
        q.path = param("path");
        q.platform = param("platform");
        q.kind = flag(param, "builds") ? Kind::kBuild : Kind::kTest;
        if (!q.origin && !q.tree && !q.branch && !q.architecture && !q.config_name && !q.compiler &&
            !q.path && !q.platform)
          return error(400, "history needs test=, build= or identity parameters");
        ids = find_identities(sql, q, 100);
      }
      std::string body = "[";
      for (const auto& info : ids) {
        if (body.size() > 1) body += ',';
        body += history_json(history(sql, info));
      }
      return {200, body + "]"};
    }
    if (route.rfind("summary/", 0) == 0) {
      std::string id = route.substr(8);
      auto s = summary(sql, id);
      if (!s) return error(404, "unknown checkout '" + id + "'");
      return {200, summary_json(*s)};
    }
  } catch (const InvalidInputError& e) {
    return error(400, e.what());
  }
  return error(404, "no such analysis route '" + route + "'");
}

}  // namespace kci::analysis
