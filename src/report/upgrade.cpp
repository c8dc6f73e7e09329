// SPDX-License-Identifier: LGPL-2.1-or-later
// Each major version's inheritance rules, as kcidb-io's _inherit() of that
// version applies them, working in place on the RapidJSON document. Renamed
// fields keep their position (kcidb-io moves them to the end of the object;
// JSON objects are unordered, so the data is the same). After each major
// step the result is validated against that version: data kcidb-io would
// turn into something invalid (e.g. v1 revision IDs that are not commit
// hashes, going to v3) is refused here with the pointer of the culprit.
#include "report/upgrade.h"

#include <string>
#include <string_view>

#include "report/patterns.h"
#include "report/validate.h"

namespace kci::report {

namespace {

using json::Allocator;
using json::Value;

// A member name as a RapidJSON key. An empty string_view may carry a null
// data() that RapidJSON rejects (an assertion in debug builds), so it becomes "".
Value key(std::string_view name) {
  if (name.empty()) return Value(rapidjson::StringRef(""));
  return Value(rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size())));
}

Value* member(Value& object, std::string_view name) {
  auto it = object.FindMember(key(name));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

void erase(Value& object, std::string_view name) {
  auto it = object.FindMember(key(name));
  if (it != object.MemberEnd()) object.EraseMember(it);
}

// Renames a member where it stands; no-op if absent.
void rename(Value& object, std::string_view from, std::string_view to, Allocator& a) {
  auto it = object.FindMember(key(from));
  if (it != object.MemberEnd())
    it->name.SetString(to.data(), static_cast<rapidjson::SizeType>(to.size()), a);
}

Value string_value(std::string_view s, Allocator& a) {
  if (s.empty()) return Value(rapidjson::kStringType);
  return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

// Sets (or adds) a member with a copied name.
void set(Value& object, std::string_view name, Value value, Allocator& a) {
  if (Value* existing = member(object, name)) {
    *existing = std::move(value);
  } else {
    object.AddMember(string_value(name, a), std::move(value), a);
  }
}

// Calls fn(object, index) for each object of the named top-level list.
template <typename Fn>
void for_each(Value& report, std::string_view list, Fn fn) {
  Value* items = member(report, list);
  if (items == nullptr || !items->IsArray()) return;
  std::size_t index = 0;
  for (Value& item : items->GetArray()) fn(item, index++);
}

std::string pointer(std::string_view list, std::size_t index, std::string_view field) {
  std::string p;
  json::append_pointer_token(p, list);
  json::append_pointer_index(p, index);
  if (!field.empty()) json::append_pointer_token(p, field);
  return p;
}

// v1 -> v2: "<origin>:<origin_id>" string IDs; "/" -> "_" in resource names.
void inherit_v2(Value& report, Allocator& a) {
  auto merge_id = [&a](Value& object, std::string_view id, std::string_view origin,
                       std::string_view origin_id) {
    Value* o = member(object, origin);
    Value* oid = member(object, origin_id);
    if (o == nullptr || oid == nullptr) return;  // invalid input; validation said so
    std::string joined(json::str(*o));
    joined += ':';
    joined += json::str(*oid);
    *o = string_value(joined, a);
    rename(object, origin, id, a);
    erase(object, origin_id);
  };
  auto fix_names = [&a](Value& object, std::string_view list) {
    Value* resources = member(object, list);
    if (resources == nullptr || !resources->IsArray()) return;
    for (Value& resource : resources->GetArray()) {
      Value* name = member(resource, "name");
      if (name == nullptr || !name->IsString()) continue;
      std::string s(json::str(*name));
      if (s.find('/') == std::string::npos) continue;
      for (char& c : s) {
        if (c == '/') c = '_';
      }
      *name = string_value(s, a);
    }
  };
  for_each(report, "revisions", [&](Value& revision, std::size_t) {
    merge_id(revision, "id", "origin", "origin_id");
    fix_names(revision, "patch_mboxes");
  });
  for_each(report, "builds", [&](Value& build, std::size_t) {
    merge_id(build, "id", "origin", "origin_id");
    merge_id(build, "revision_id", "revision_origin", "revision_origin_id");
    fix_names(build, "input_files");
    fix_names(build, "output_files");
  });
  for_each(report, "tests", [&](Value& test, std::size_t) {
    merge_id(test, "id", "origin", "origin_id");
    merge_id(test, "build_id", "build_origin", "build_origin_id");
    fix_names(test, "output_files");
  });
}

// The text after the first ':' of an ID.
std::string_view after_origin(std::string_view id) {
  std::size_t colon = id.find(':');
  return colon == std::string_view::npos ? id : id.substr(colon + 1);
}

// v2 -> v3: a separate "origin" (the ID's prefix); revision IDs lose it;
// git_repository_commit_* -> git_commit_*.
void inherit_v3(Value& report, Allocator& a) {
  for (std::string_view list : {"revisions", "builds", "tests"}) {
    for_each(report, list, [&](Value& object, std::size_t) {
      Value* id = member(object, "id");
      if (id == nullptr || !id->IsString()) return;
      std::string_view s = json::str(*id);
      set(object, "origin", string_value(s.substr(0, s.find(':')), a), a);
    });
  }
  for_each(report, "revisions", [&](Value& revision, std::size_t) {
    if (Value* id = member(revision, "id")) *id = string_value(after_origin(json::str(*id)), a);
    rename(revision, "git_repository_commit_hash", "git_commit_hash", a);
    rename(revision, "git_repository_commit_name", "git_commit_name", a);
  });
  for_each(report, "builds", [&](Value& build, std::size_t) {
    if (Value* id = member(build, "revision_id"))
      *id = string_value(after_origin(json::str(*id)), a);
  });
}

// v3 -> v4: revisions become checkouts "_:<origin>:<revision ID>" (the
// placeholder origin "_" keeps them apart from real checkouts), with the
// patchset hash split off; "description" -> "comment".
void inherit_v4(Value& report, Allocator& a) {
  for_each(report, "revisions", [&](Value& revision, std::size_t) {
    Value* id = member(revision, "id");
    Value* origin = member(revision, "origin");
    if (id == nullptr || origin == nullptr) return;
    std::string checkout_id =
        "_:" + std::string(json::str(*origin)) + ":" + std::string(json::str(*id));
    // kcidb-io takes the second '+'-separated part of the new ID, or "".
    std::string_view patchset_hash;
    std::size_t plus = checkout_id.find('+');
    if (plus != std::string::npos) {
      patchset_hash = std::string_view(checkout_id).substr(plus + 1);
      patchset_hash = patchset_hash.substr(0, patchset_hash.find('+'));
    }
    Value hash = string_value(patchset_hash, a);
    *id = string_value(checkout_id, a);
    rename(revision, "patch_mboxes", "patchset_files", a);
    set(revision, "patchset_hash", std::move(hash), a);
    rename(revision, "discovery_time", "start_time", a);
    rename(revision, "description", "comment", a);
    erase(revision, "publishing_time");
  });
  rename(report, "revisions", "checkouts", a);
  for_each(report, "builds", [&](Value& build, std::size_t) {
    Value* origin = member(build, "origin");
    Value* revision_id = member(build, "revision_id");
    if (origin != nullptr && revision_id != nullptr) {
      std::string checkout_id =
          "_:" + std::string(json::str(*origin)) + ":" + std::string(json::str(*revision_id));
      *revision_id = string_value(checkout_id, a);
      rename(build, "revision_id", "checkout_id", a);
    }
    rename(build, "description", "comment", a);
  });
  for_each(report, "tests", [&](Value& test, std::size_t) {
    rename(test, "description", "comment", a);
    if (Value* environment = member(test, "environment"); environment && environment->IsObject()) {
      rename(*environment, "description", "comment", a);
    }
  });
}

// Refuses any string holding NUL outside "misc" (v5 bans them).
void prohibit_nul(const Value& v, std::string& path) {
  if (v.IsString()) {
    if (json::str(v).find('\0') != std::string_view::npos) {
      throw UpgradeError(path +
                         ": a string containing NUL (\\u0000) characters cannot be "
                         "upgraded to v5, which forbids them; remove them and retry");
    }
  } else if (v.IsArray()) {
    std::size_t index = 0;
    for (const Value& item : v.GetArray()) {
      std::size_t size = path.size();
      json::append_pointer_index(path, index++);
      prohibit_nul(item, path);
      path.resize(size);
    }
  } else if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      if (json::str(m.name) == "misc") continue;
      std::size_t size = path.size();
      json::append_pointer_token(path, json::str(m.name));
      prohibit_nul(m.value, path);
      path.resize(size);
    }
  }
}

// v4 -> v5: build "valid" -> "status"; waived tests -> incidents of the
// issue "_:waived"; contacts, issue build_valid/test_status dropped. A
// non-https repository URL, a test path the strict v5 syntax rejects, or a
// NUL character cannot be carried over.
void inherit_v5(Value& report, Allocator& a) {
  for_each(report, "checkouts", [&](Value& checkout, std::size_t index) {
    erase(checkout, "contacts");
    Value* url = member(checkout, "git_repository_url");
    // kcidb-io checks only the prefix here (re.match without "$").
    if (url != nullptr && json::str(*url).substr(0, 8) != "https://") {
      throw UpgradeError(pointer("checkouts", index, "git_repository_url") + ": " +
                         json::write(*url) +
                         " is not an https:// URL, which v5 requires; replace it with the "
                         "repository's https:// URL and retry");
    }
  });
  for_each(report, "builds", [&](Value& build, std::size_t) {
    Value* valid = member(build, "valid");
    if (valid == nullptr) return;
    *valid = Value(valid->IsTrue() ? "PASS" : "FAIL", a);
    rename(build, "valid", "status", a);
  });
  constexpr std::string_view kWaivedIssue = "_:waived";
  constexpr int kWaivedIssueVersion = 1;
  bool waived_issue_added = false;
  std::vector<Value> incidents;
  for_each(report, "tests", [&](Value& test, std::size_t index) {
    Value* path = member(test, "path");
    if (path != nullptr && !matches(Pattern::kPath, json::str(*path))) {
      throw UpgradeError(pointer("tests", index, "path") + ": test path " + json::write(*path) +
                         " is invalid or ambiguous in v5 (dot-separated names of letters, "
                         "digits, '_' and '-'); correct it and retry");
    }
    Value* waived = member(test, "waived");
    if (waived == nullptr) return;
    bool is_waived = waived->IsTrue();
    erase(test, "waived");
    if (!is_waived) return;
    waived_issue_added = true;
    Value* id = member(test, "id");
    std::string test_id(id != nullptr ? json::str(*id) : std::string_view());
    Value incident(rapidjson::kObjectType);
    incident.AddMember("id",
                       string_value(std::string(kWaivedIssue) + ":" +
                                        std::to_string(kWaivedIssueVersion) + ":" + test_id,
                                    a),
                       a);
    incident.AddMember("origin", "_", a);
    incident.AddMember("issue_id", string_value(kWaivedIssue, a), a);
    incident.AddMember("issue_version", kWaivedIssueVersion, a);
    incident.AddMember("test_id", string_value(test_id, a), a);
    incident.AddMember("present", true, a);
    incidents.push_back(std::move(incident));
  });
  for_each(report, "issues", [&](Value& issue, std::size_t) {
    erase(issue, "build_valid");
    erase(issue, "test_status");
  });
  if (waived_issue_added) {
    Value issue(rapidjson::kObjectType);
    issue.AddMember("id", string_value(kWaivedIssue, a), a);
    issue.AddMember("origin", "_", a);
    issue.AddMember("version", kWaivedIssueVersion, a);
    issue.AddMember("comment", "Test waived as unreliable", a);
    if (member(report, "issues") == nullptr)
      report.AddMember("issues", Value(rapidjson::kArrayType), a);
    member(report, "issues")->PushBack(std::move(issue), a);
    if (member(report, "incidents") == nullptr) {
      report.AddMember("incidents", Value(rapidjson::kArrayType), a);
    }
    Value& list = *member(report, "incidents");
    for (Value& incident : incidents) list.PushBack(std::move(incident), a);
  }
  std::string path;
  prohibit_nul(report, path);
}

void set_version(Value& report, Version v, Allocator& a) {
  Value version(rapidjson::kObjectType);
  version.AddMember("major", v.major, a);
  version.AddMember("minor", v.minor, a);
  set(report, "version", std::move(version), a);
}

}  // namespace

void upgrade_report(json::Document& report, Version target) {
  const Version from = schema_version_of(report);
  bool known = false;
  for (const Version& v : known_versions()) known = known || v == target;
  if (!known) throw VersionError("/version: unknown target version " + target.str());
  if (target < from) {
    throw VersionError("/version: cannot downgrade a v" + from.str() + " report to v" +
                       target.str());
  }
  if (target == from) return;
  Allocator& a = report.GetAllocator();
  using Inherit = void (*)(Value&, Allocator&);
  constexpr Inherit kInherit[] = {nullptr, nullptr, inherit_v2, inherit_v3, inherit_v4, inherit_v5};
  static_assert(std::size(kInherit) == 6, "one entry per major, up to the latest");
  for (int major = from.major + 1; major <= target.major; ++major) {
    kInherit[major](report, a);
    const Version step{major, 0};
    set_version(report, step, a);
    ValidationResult check = validate_report(report);
    if (!check.ok()) {
      const ValidationError& e = check.errors.front();
      throw UpgradeError(e.pointer + ": " + e.message + " (in the data upgraded to v" + step.str() +
                         "; kcidb-io cannot upgrade this either)");
    }
  }
  set_version(report, target, a);
}

}  // namespace kci::report
