// SPDX-License-Identifier: LGPL-2.1-or-later
#include "report/merge.h"

#include "report/upgrade.h"

namespace kci::report {

std::size_t count_objects(const json::Value& report) {
  std::size_t n = 0;
  if (!report.IsObject()) return 0;
  for (const char* list : kObjectLists) {
    auto it = report.FindMember(list);
    if (it != report.MemberEnd() && it->value.IsArray()) n += it->value.Size();
  }
  return n;
}

void merge_reports(std::vector<json::Document*>& inputs, json::Document& out) {
  Version newest{0, 0};
  for (json::Document* doc : inputs) newest = std::max(newest, schema_version_of(*doc));
  out.SetObject();
  auto& alloc = out.GetAllocator();
  if (inputs.empty()) {
    newest = latest_version();
  }
  for (json::Document* doc : inputs) {
    upgrade_report(*doc, newest);
  }
  // Take the version object from the first upgraded input, so its exact
  // form (string for v1, object later) is what that version expects.
  if (!inputs.empty()) {
    out.AddMember("version", json::Value(inputs.front()->operator[]("version"), alloc), alloc);
  } else {
    json::Value version(rapidjson::kObjectType);
    version.AddMember("major", newest.major, alloc);
    version.AddMember("minor", newest.minor, alloc);
    out.AddMember("version", version, alloc);
  }
  for (const char* list : kObjectLists) {
    json::Value merged(rapidjson::kArrayType);
    bool present = false;
    for (json::Document* doc : inputs) {
      auto it = doc->FindMember(list);
      if (it == doc->MemberEnd() || !it->value.IsArray()) continue;
      present = true;
      for (auto& object : it->value.GetArray()) merged.PushBack(json::Value(object, alloc), alloc);
    }
    if (present) out.AddMember(json::Value(list, alloc), merged, alloc);
  }
}

}  // namespace kci::report
