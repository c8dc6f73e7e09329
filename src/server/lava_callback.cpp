// SPDX-License-Identifier: LGPL-2.1-or-later
#include "server/lava_callback.h"

#include <cctype>

#include "ingest/loader.h"
#include "orchestrator/node_store.h"
#include "pipeline/lava/lava.h"
#include "report/json.h"
#include "report/model.h"
#include "util/error.h"
#include "util/text.h"

namespace kci::server {

namespace {

std::string lower(std::string_view s) {
  std::string out;
  for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// application/x-www-form-urlencoded: '+' is a space, then %XX.
std::string form_decode(std::string_view s) {
  std::string plus(s);
  for (char& c : plus) {
    if (c == '+') c = ' ';
  }
  return percent_decode(plus);
}

}  // namespace

std::string lava_callback_json(std::string_view body, std::string_view content_type) {
  std::string type = lower(content_type.substr(0, content_type.find(';')));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  if (type.empty() || type == "application/json") return std::string(body);
  if (type != "application/x-www-form-urlencoded") {
    throw InvalidInputError("LAVA callback: unsupported Content-Type " + std::string(content_type) +
                            " (application/json or application/x-www-form-urlencoded)");
  }
  json::Document doc;
  doc.SetObject();
  auto& a = doc.GetAllocator();
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t amp = body.find('&', start);
    if (amp == std::string_view::npos) amp = body.size();
    std::string_view pair = body.substr(start, amp - start);
    start = amp + 1;
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    std::string name = form_decode(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : form_decode(pair.substr(eq + 1));
    if (name.empty()) throw InvalidInputError("LAVA callback: a form field without a name");
    if (doc.HasMember(name.c_str())) {
      throw InvalidInputError("LAVA callback: form field '" + name + "' is repeated");
    }
    json::Value v;
    if ((name == "id" || name == "status") && all_digits(value)) {
      v.SetInt64(std::stoll(value));
    } else if (name == "results" || name == "metadata") {
      json::Document inner;
      inner.Parse(value.data(), value.size());
      if (inner.HasParseError() || !(inner.IsObject() || inner.IsArray())) {
        throw InvalidInputError("LAVA callback: form field '" + name +
                                "' is not a JSON object or array");
      }
      v.CopyFrom(inner, a);
    } else {
      v.SetString(value.data(), static_cast<rapidjson::SizeType>(value.size()), a);
    }
    doc.AddMember(json::Value(name.c_str(), a), v, a);
    if (amp == body.size()) break;
  }
  return json::write(doc);
}

LavaCallbackOutcome handle_lava_callback(const LavaCallbackRequest& request, store::Store& store,
                                         store::SqlConnection& sql, ingest::ChangeBus* bus) {
  std::optional<orchestrator::Node> node;
  std::optional<orchestrator::NodeStore> nodes;
  if (request.node_id) {
    if (sql.component_version("orchestrator") > 0) {
      nodes.emplace(sql);
      node = nodes->get(*request.node_id);
    }
    if (!node || node->kind != orchestrator::NodeKind::kJob) {
      throw InvalidInputError("LAVA callback: node=" + std::to_string(*request.node_id) +
                              " is not a job node of kci run");
    }
  }
  pipeline::LavaCallbackOptions options;
  options.origin = request.origin;
  options.build_id = request.build_id;
  if (options.build_id.empty() && node) options.build_id = node->get("build_id");
  if (node && !node->get("plan").empty()) options.plan = node->get("plan");
  pipeline::LavaJobResults job = pipeline::parse_lava_callback(
      lava_callback_json(request.body, request.content_type), options);

  LavaCallbackOutcome out;
  out.job_id = job.job_id;
  out.status = job.status;
  report::Report report = job.report;
  out.tests = report.tests.size();
  ingest::Loader loader(store, bus);
  loader.load(std::move(report));

  if (node && node->state != orchestrator::NodeState::kDone) {
    orchestrator::Finish f;
    f.state = orchestrator::NodeState::kDone;
    bool failed = false;
    for (const auto& o : job.outcomes) {
      if (o.status == report::Status::kFail) failed = true;
    }
    f.result = job.status != "complete" ? orchestrator::NodeResult::kIncomplete
               : failed                 ? orchestrator::NodeResult::kFail
                                        : orchestrator::NodeResult::kPass;
    f.data["lava_job_id"] = std::to_string(job.job_id);
    if (job.status != "complete") f.data["reason"] = "LAVA job " + job.status;
    // A LAVA job node is claimed (running) by whoever submitted the job;
    // the callback finishes it in that owner's name. A node in another
    // state is left as it is (its results are loaded all the same).
    bool finished = node->state == orchestrator::NodeState::kRunning && sql.transaction([&] {
      if (!nodes->finish(node->id, node->owner, f)) return false;
      for (const auto& o : job.outcomes) {
        orchestrator::NewNode test;
        test.kind = orchestrator::NodeKind::kTest;
        test.parent = node->id;
        test.name = o.path;
        test.state = orchestrator::NodeState::kDone;
        test.result = o.status == report::Status::kPass   ? orchestrator::NodeResult::kPass
                      : o.status == report::Status::kFail ? orchestrator::NodeResult::kFail
                      : o.status == report::Status::kSkip ? orchestrator::NodeResult::kSkip
                                                          : orchestrator::NodeResult::kIncomplete;
        test.timeout_seconds = 0;
        nodes->create(test);
      }
      return true;
    });
    if (finished) out.node_result = std::string(orchestrator::result_name(*f.result));
  }
  out.message =
      "LAVA job " + std::to_string(job.job_id) + " (" + job.status +
      "): " + std::to_string(out.tests) + " tests loaded" +
      (out.node_result.empty() ? "" : ", node " + std::to_string(node->id) + " " + out.node_result);
  return out;
}

}  // namespace kci::server
