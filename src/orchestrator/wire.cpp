// SPDX-License-Identifier: LGPL-2.1-or-later
#include "orchestrator/wire.h"

#include "report/model.h"
#include "util/error.h"

namespace kci::orchestrator {

namespace {

const json::Value& member(const json::Value& v, const char* name, const std::string& where) {
  if (!v.IsObject()) throw InvalidInputError(where + ": expected an object");
  auto it = v.FindMember(name);
  if (it == v.MemberEnd()) throw InvalidInputError(where + "/" + name + ": missing");
  return it->value;
}

std::string text(const json::Value& v, const char* name, const std::string& where,
                 bool required = true) {
  if (!v.IsObject()) throw InvalidInputError(where + ": expected an object");
  auto it = v.FindMember(name);
  if (it == v.MemberEnd()) {
    if (required) throw InvalidInputError(where + "/" + name + ": missing");
    return {};
  }
  if (!it->value.IsString()) throw InvalidInputError(where + "/" + name + ": expected a string");
  return std::string(json::str(it->value));
}

std::int64_t integer(const json::Value& v, const char* name, const std::string& where) {
  const json::Value& m = member(v, name, where);
  if (!m.IsInt64()) throw InvalidInputError(where + "/" + name + ": expected an integer");
  return m.GetInt64();
}

std::map<std::string, std::string> string_map(const json::Value& v, const char* name,
                                              const std::string& where) {
  std::map<std::string, std::string> out;
  auto it = v.FindMember(name);
  if (it == v.MemberEnd()) return out;
  if (!it->value.IsObject()) throw InvalidInputError(where + "/" + name + ": expected an object");
  for (const auto& m : it->value.GetObject()) {
    if (!m.value.IsString()) {
      throw InvalidInputError(where + "/" + name + "/" + std::string(json::str(m.name)) +
                              ": expected a string");
    }
    out[std::string(json::str(m.name))] = std::string(json::str(m.value));
  }
  return out;
}

void add_map(json::Value& out, const char* name, const std::map<std::string, std::string>& map,
             json::Allocator& a) {
  json::Value obj(rapidjson::kObjectType);
  for (const auto& [k, v] : map) obj.AddMember(json::Value(k, a), json::Value(v, a), a);
  out.AddMember(json::Value(name, a), obj, a);
}

NodeResult result_of(const std::string& name, const std::string& where) {
  try {
    return parse_result(name);
  } catch (const InvalidInputError& e) {
    throw InvalidInputError(where + ": " + e.what());
  }
}

}  // namespace

void node_to_json(const Node& node, json::Value& out, json::Allocator& a) {
  out.SetObject();
  out.AddMember("id", node.id, a);
  out.AddMember("kind", json::Value(std::string(kind_name(node.kind)), a), a);
  out.AddMember("parent", node.parent, a);
  out.AddMember("name", json::Value(node.name, a), a);
  out.AddMember("state", json::Value(std::string(state_name(node.state)), a), a);
  out.AddMember("retries", node.retries, a);
  out.AddMember("timeout_seconds", node.timeout_seconds, a);
  out.AddMember("owner", json::Value(node.owner, a), a);
  add_map(out, "data", node.data, a);
}

Node node_from_json(const json::Value& v, const std::string& where) {
  Node n;
  n.id = integer(v, "id", where);
  try {
    n.kind = parse_kind(text(v, "kind", where));
    n.state = parse_state(text(v, "state", where));
  } catch (const InvalidInputError& e) {
    throw InvalidInputError(where + ": " + e.what());
  }
  n.parent = integer(v, "parent", where);
  n.name = text(v, "name", where);
  n.retries = static_cast<int>(integer(v, "retries", where));
  n.timeout_seconds = static_cast<int>(integer(v, "timeout_seconds", where));
  n.owner = text(v, "owner", where, false);
  n.data = string_map(v, "data", where);
  return n;
}

std::string outcome_to_json(const Outcome& o) {
  json::Document doc;
  doc.SetObject();
  auto& a = doc.GetAllocator();
  doc.AddMember("result", json::Value(std::string(result_name(o.result)), a), a);
  doc.AddMember("infrastructure_error", o.infrastructure_error, a);
  doc.AddMember("reason", json::Value(o.reason, a), a);
  add_map(doc, "data", o.data, a);
  json::Value tests(rapidjson::kArrayType);
  for (const TestResult& t : o.tests) {
    json::Value item(rapidjson::kObjectType);
    item.AddMember("path", json::Value(t.path, a), a);
    item.AddMember("result", json::Value(std::string(result_name(t.result)), a), a);
    tests.PushBack(item, a);
  }
  doc.AddMember("tests", tests, a);
  json::Document report;
  report::to_json(o.report, report, false);
  json::Value r;
  r.CopyFrom(report, a);
  doc.AddMember("report", r, a);
  return json::write(doc);
}

Outcome outcome_from_json(const json::Value& v, const std::string& where) {
  Outcome o;
  o.result = result_of(text(v, "result", where), where + "/result");
  auto ie = v.FindMember("infrastructure_error");
  if (ie != v.MemberEnd()) {
    if (!ie->value.IsBool()) {
      throw InvalidInputError(where + "/infrastructure_error: expected true or false");
    }
    o.infrastructure_error = ie->value.GetBool();
  }
  o.reason = text(v, "reason", where, false);
  o.data = string_map(v, "data", where);
  auto tests = v.FindMember("tests");
  if (tests != v.MemberEnd()) {
    if (!tests->value.IsArray()) throw InvalidInputError(where + "/tests: expected an array");
    std::size_t i = 0;
    for (const auto& t : tests->value.GetArray()) {
      std::string at = where + "/tests/" + std::to_string(i++);
      o.tests.push_back({text(t, "path", at), result_of(text(t, "result", at), at + "/result")});
    }
  }
  auto report = v.FindMember("report");
  if (report != v.MemberEnd()) {
    try {
      o.report = report::from_json(report->value);
    } catch (const Error& e) {
      throw InvalidInputError(where + "/report: " + e.what());
    }
  }
  return o;
}

}  // namespace kci::orchestrator
