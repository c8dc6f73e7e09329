// SPDX-License-Identifier: LGPL-2.1-or-later
#include "orchestrator/node.h"

#include <array>
#include <utility>

#include "report/json.h"
#include "util/error.h"

namespace kci::orchestrator {

namespace {

constexpr std::array<std::pair<NodeKind, std::string_view>, 4> kKinds{{
    {NodeKind::kCheckout, "checkout"},
    {NodeKind::kKbuild, "kbuild"},
    {NodeKind::kJob, "job"},
    {NodeKind::kTest, "test"},
}};
constexpr std::array<std::pair<NodeState, std::string_view>, 4> kStates{{
    {NodeState::kRunning, "running"},
    {NodeState::kAvailable, "available"},
    {NodeState::kClosing, "closing"},
    {NodeState::kDone, "done"},
}};
constexpr std::array<std::pair<NodeResult, std::string_view>, 4> kResults{{
    {NodeResult::kPass, "pass"},
    {NodeResult::kFail, "fail"},
    {NodeResult::kSkip, "skip"},
    {NodeResult::kIncomplete, "incomplete"},
}};

template <typename E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E e) {
  for (const auto& [v, n] : table) {
    if (v == e) return n;
  }
  return "?";
}

template <typename E, std::size_t N>
E parse_of(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view name,
           const char* what) {
  for (const auto& [v, n] : table) {
    if (n == name) return v;
  }
  throw InvalidInputError("unknown node " + std::string(what) + " '" + std::string(name) + "'");
}

}  // namespace

std::string_view kind_name(NodeKind kind) { return name_of(kKinds, kind); }
std::string_view state_name(NodeState state) { return name_of(kStates, state); }
std::string_view result_name(NodeResult result) { return name_of(kResults, result); }
NodeKind parse_kind(std::string_view name) { return parse_of(kKinds, name, "kind"); }
NodeState parse_state(std::string_view name) { return parse_of(kStates, name, "state"); }
NodeResult parse_result(std::string_view name) { return parse_of(kResults, name, "result"); }

std::string Node::get(const std::string& key) const {
  auto it = data.find(key);
  return it == data.end() ? std::string() : it->second;
}

std::string data_to_json(const std::map<std::string, std::string>& data) {
  json::Document doc;
  doc.SetObject();
  auto& alloc = doc.GetAllocator();
  for (const auto& [k, v] : data) {
    doc.AddMember(json::Value(k, alloc), json::Value(v, alloc), alloc);
  }
  return json::write(doc);
}

std::map<std::string, std::string> data_from_json(std::string_view text) {
  json::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    throw InvalidInputError("node data is not a JSON object");
  }
  std::map<std::string, std::string> out;
  for (const auto& m : doc.GetObject()) {
    if (m.value.IsString()) out[std::string(json::str(m.name))] = std::string(json::str(m.value));
  }
  return out;
}

}  // namespace kci::orchestrator
