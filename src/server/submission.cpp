// SPDX-License-Identifier: LGPL-2.1-or-later
#include "server/submission.h"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>

#include "report/model.h"
#include "report/upgrade.h"
#include "report/version.h"

namespace kci::server {

std::set<std::string> report_origins(const json::Value& report, std::size_t* objects) {
  std::set<std::string> origins;
  std::size_t count = 0;
  if (!report.IsObject()) return origins;
  for (report::ObjectType type : report::kObjectTypes) {
    auto list = report.FindMember(report::list_name(type));
    if (list == report.MemberEnd() || !list->value.IsArray()) continue;
    for (const auto& object : list->value.GetArray()) {
      ++count;
      if (!object.IsObject()) continue;
      auto origin = object.FindMember("origin");
      if (origin != object.MemberEnd() && origin->value.IsString()) {
        origins.emplace(json::str(origin->value));
      }
    }
  }
  if (objects) *objects = count;
  return origins;
}

SubmissionCheck check_submission(std::string_view body,
                                 const std::function<bool(const std::string&)>& may_write) {
  SubmissionCheck check;
  json::Document doc;
  // Iterative parsing: a deeply nested body must not exhaust the stack of a
  // request thread.
  rapidjson::MemoryStream stream(body.data(), body.size());
  doc.ParseStream<rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag,
                  rapidjson::UTF8<>>(stream);
  if (doc.HasParseError()) {
    check.http_status = 400;
    check.message = "Invalid JSON at byte " + std::to_string(doc.GetErrorOffset()) + ": " +
                    rapidjson::GetParseError_En(doc.GetParseError());
    check.errors.push_back({"", check.message});
    return check;
  }
  for (std::size_t i = stream.Tell(); i < body.size(); ++i) {
    char c = body[i];
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
      check.http_status = 400;
      check.message =
          "Invalid JSON: more than one value in the body (byte " + std::to_string(i) + ")";
      check.errors.push_back({"", check.message});
      return check;
    }
  }
  report::ValidationResult validation = report::validate_report(doc);
  if (!validation.ok()) {
    check.http_status = 400;
    check.message = "Invalid report: " + std::to_string(validation.errors.size()) + " error(s)";
    check.errors = std::move(validation.errors);
    return check;
  }
  try {
    report::upgrade_report(doc, report::latest_version());
  } catch (const InvalidInputError& e) {
    check.http_status = 400;
    check.message = std::string("Cannot upgrade the report to v") + report::latest_version().str() +
                    ": " + e.what();
    check.errors.push_back({"", e.what()});
    return check;
  }
  check.origins = report_origins(doc, &check.objects);
  for (const std::string& origin : check.origins) {
    if (!may_write(origin)) check.forbidden_origins.push_back(origin);
  }
  if (!check.forbidden_origins.empty()) {
    check.http_status = 403;
    std::string list;
    for (const auto& o : check.forbidden_origins) list += (list.empty() ? "" : ", ") + o;
    check.message = "The token may not write objects of origin(s): " + list +
                    "; nothing of the report was stored";
  }
  return check;
}

std::string answer_json(const std::string& id, const std::string& status,
                        const std::string& message,
                        const std::vector<report::ValidationError>& errors) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("id", json::Value(id, a), a);
  doc.AddMember("status", json::Value(status, a), a);
  doc.AddMember("message", json::Value(message, a), a);
  if (!errors.empty()) {
    json::Value list(rapidjson::kArrayType);
    for (const auto& e : errors) {
      json::Value item(rapidjson::kObjectType);
      item.AddMember("pointer", json::Value(e.pointer, a), a);
      item.AddMember("message", json::Value(e.message, a), a);
      list.PushBack(item, a);
    }
    doc.AddMember("errors", list, a);
  }
  return json::write(doc);
}

}  // namespace kci::server
