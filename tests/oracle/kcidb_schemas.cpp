// SPDX-License-Identifier: LGPL-2.1-or-later
#include "kcidb_schemas.h"

#include <valijson/adapters/rapidjson_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include <cstdio>
#include <regex>
#include <stdexcept>
#include <unordered_map>

#include "python_checks.h"
#include "util/file.h"

namespace kci::oracle {

std::string to_pointer(const Path& path) {
  std::string out;
  for (const PathToken& t : path) {
    if (t.is_index) {
      json::append_pointer_index(out, t.index);
    } else {
      json::append_pointer_token(out, t.name);
    }
  }
  return out.empty() ? "/" : out;
}

std::shared_ptr<valijson::Schema> compile_schema(const json::Value& schema_doc) {
  auto schema = std::make_shared<valijson::Schema>();
  valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
  valijson::adapters::RapidJsonAdapter adapter(schema_doc);
  parser.populateSchema(adapter, *schema);
  return schema;
}

bool valijson_accepts(const valijson::Schema& schema, const json::Value& instance, bool* threw) {
  // One validator per thread: it caches the compiled std::regex of every
  // "pattern", which costs far more to build than to run. Strong types
  // (the default): 1.0 is not an integer.
  thread_local valijson::Validator validator;
  valijson::adapters::RapidJsonAdapter adapter(instance);
  try {
    return validator.validate(schema, adapter, nullptr);
  } catch (const std::runtime_error&) {
    if (threw != nullptr) *threw = true;
    return false;
  }
}

const char* cause_name(Cause c) {
  switch (c) {
    case Cause::kPatternDollarNewline: return "pattern: Python $ matches before a final \\n";
    case Cause::kPatternDotCarriageReturn: return "pattern: Python . matches \\r";
    case Cause::kDateTime: return "format date-time: valijson regex vs rfc3339-validator";
    case Cause::kUri: return "format uri: unchecked by valijson, rfc3987 in kcidb-io";
    case Cause::kEmail: return "format email: unchecked by valijson, \"@\" in kcidb-io";
    case Cause::kMaxLengthNul: return "maxLength: valijson stops counting at NUL";
    case Cause::kIntegerValuedFloat: return "type integer: valijson rejects integer-valued floats";
    case Cause::kUint64Bound: return "minimum/maximum: valijson misorders integers > INT64_MAX";
  }
  return "?";
}

namespace {

const json::Value* member(const json::Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

bool type_matches(const json::Value& schema, const json::Value& instance) {
  const json::Value* type = member(schema, "type");
  if (type == nullptr || !type->IsString()) return true;
  std::string_view t = json::str(*type);
  if (t == "object") return instance.IsObject();
  if (t == "array") return instance.IsArray();
  if (t == "string") return instance.IsString();
  if (t == "boolean") return instance.IsBool();
  if (t == "integer" || t == "number") return instance.IsNumber();
  return true;
}

const json::Value& resolve_ref(const json::Value& root, const json::Value& schema) {
  const json::Value* ref = member(schema, "$ref");
  if (ref == nullptr || !ref->IsString()) return schema;
  std::string_view r = json::str(*ref);
  constexpr std::string_view kPrefix = "#/$defs/";
  if (r.substr(0, kPrefix.size()) != kPrefix) throw std::runtime_error("unexpected $ref");
  const json::Value* defs = member(root, "$defs");
  std::string name(r.substr(kPrefix.size()));
  const json::Value* target = defs ? member(*defs, name.c_str()) : nullptr;
  if (target == nullptr) throw std::runtime_error("dangling $ref " + std::string(r));
  return resolve_ref(root, *target);
}

void walk(const json::Value& root, const json::Value& schema_in, const json::Value& instance,
          Path& path, const SchemaVisitor& visit) {
  const json::Value& schema = resolve_ref(root, schema_in);
  visit(schema, instance, path);
  if (const json::Value* one_of = member(schema, "oneOf"); one_of && one_of->IsArray()) {
    for (const auto& branch : one_of->GetArray()) {
      if (type_matches(resolve_ref(root, branch), instance))
        walk(root, branch, instance, path, visit);
    }
  }
  if (instance.IsObject()) {
    const json::Value* properties = member(schema, "properties");
    if (properties == nullptr || !properties->IsObject()) return;
    for (const auto& m : instance.GetObject()) {
      auto p = properties->FindMember(m.name);
      if (p == properties->MemberEnd()) continue;
      path.push_back({std::string(json::str(m.name)), 0, false});
      walk(root, p->value, m.value, path, visit);
      path.pop_back();
    }
  } else if (instance.IsArray()) {
    const json::Value* items = member(schema, "items");
    if (items == nullptr || !items->IsObject()) return;
    std::size_t i = 0;
    for (const auto& element : instance.GetArray()) {
      path.push_back({{}, i++, true});
      walk(root, *items, element, path, visit);
      path.pop_back();
    }
  }
}

// Removes the leaf keywords the oracle checks itself, keeping everything
// valijson and jsonschema agree on. Recurses only into subschemas, so a
// property *named* "pattern" would survive.
void make_structural(json::Value& schema, json::Allocator& alloc) {
  if (!schema.IsObject()) return;
  for (const char* keyword : {"pattern", "format", "maxLength", "minimum", "maximum"}) {
    schema.RemoveMember(keyword);
  }
  if (auto it = schema.FindMember("type");
      it != schema.MemberEnd() && it->value.IsString() && json::str(it->value) == "integer") {
    it->value.SetString("number", alloc);
  }
  for (const char* map_keyword : {"properties", "$defs"}) {
    if (auto it = schema.FindMember(map_keyword);
        it != schema.MemberEnd() && it->value.IsObject()) {
      for (auto& m : it->value.GetObject()) make_structural(m.value, alloc);
    }
  }
  for (const char* keyword : {"items", "additionalProperties"}) {
    if (auto it = schema.FindMember(keyword); it != schema.MemberEnd())
      make_structural(it->value, alloc);
  }
  for (const char* list_keyword : {"oneOf", "anyOf", "allOf"}) {
    if (auto it = schema.FindMember(list_keyword);
        it != schema.MemberEnd() && it->value.IsArray()) {
      for (auto& s : it->value.GetArray()) make_structural(s, alloc);
    }
  }
}

// valijson's verdict on one keyword alone, for naming disagreements.
bool valijson_keyword_accepts(const char* keyword, const json::Value& keyword_value,
                              const json::Value& instance) {
  thread_local std::unordered_map<std::string, std::shared_ptr<valijson::Schema>> cache;
  json::Document doc;
  doc.SetObject();
  doc.AddMember(json::Value(keyword, doc.GetAllocator()),
                json::Value(keyword_value, doc.GetAllocator()), doc.GetAllocator());
  std::string key = json::write(doc);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, compile_schema(doc)).first;
  return valijson_accepts(*it->second, instance);
}

// Python's verdict on the leaf keywords of one schema node; records where
// valijson's verdict on the same keyword differs.
bool python_leaf_checks(const json::Value& schema, const json::Value& instance,
                        std::set<Cause>* causes) {
  bool ok = true;
  auto note = [&](bool python_ok, const char* keyword, Cause cause) {
    if (!python_ok) ok = false;
    if (causes == nullptr) return;
    const json::Value* kv = member(schema, keyword);
    if (kv != nullptr && valijson_keyword_accepts(keyword, *kv, instance) != python_ok) {
      causes->insert(cause);
    }
  };
  if (instance.IsString()) {
    std::string_view s = json::str(instance);
    if (const json::Value* p = member(schema, "pattern"); p && p->IsString()) {
      bool python_ok = python_pattern_search(std::string(json::str(*p)), s);
      bool ends_newline = !s.empty() && s.back() == '\n';
      note(python_ok, "pattern",
           ends_newline ? Cause::kPatternDollarNewline : Cause::kPatternDotCarriageReturn);
    }
    if (const json::Value* f = member(schema, "format"); f && f->IsString()) {
      std::string_view format = json::str(*f);
      if (format == "date-time") note(python_is_date_time(s), "format", Cause::kDateTime);
      if (format == "uri") note(python_is_uri(s), "format", Cause::kUri);
      if (format == "email") note(python_is_email(s), "format", Cause::kEmail);
    }
    if (const json::Value* m = member(schema, "maxLength"); m && m->IsUint64()) {
      note(python_length(s) <= m->GetUint64(), "maxLength", Cause::kMaxLengthNul);
    }
  }
  if (instance.IsNumber()) {
    if (const json::Value* t = member(schema, "type");
        t && t->IsString() && json::str(*t) == "integer") {
      note(python_is_integer(instance), "type", Cause::kIntegerValuedFloat);
    }
    if (const json::Value* m = member(schema, "minimum"); m && m->IsInt64()) {
      note(python_compare_number(instance, m->GetInt64()) >= 0, "minimum", Cause::kUint64Bound);
    }
    if (const json::Value* m = member(schema, "maximum"); m && m->IsInt64()) {
      note(python_compare_number(instance, m->GetInt64()) <= 0, "maximum", Cause::kUint64Bound);
    }
  }
  return ok;
}

}  // namespace

void walk_schema(const json::Value& root_schema, const json::Value& instance,
                 const SchemaVisitor& visit) {
  Path path;
  walk(root_schema, root_schema, instance, path, visit);
}

std::string schema_file_name(report::Version v) {
  char name[32];
  std::snprintf(name, sizeof name, "v%02d_%02d.json", v.major, v.minor);
  return name;
}

KcidbSchemas::KcidbSchemas(const std::string& dir) {
  for (const report::Version& v : report::known_versions()) {
    auto e = std::make_unique<Entry>();
    std::string text = read_file(dir + "/" + schema_file_name(v));
    e->official.Parse(text.c_str(), text.size());
    if (e->official.HasParseError())
      throw std::runtime_error("cannot parse " + schema_file_name(v));
    e->structural.CopyFrom(e->official, e->structural.GetAllocator());
    make_structural(e->structural, e->structural.GetAllocator());
    e->official_compiled = compile_schema(e->official);
    e->structural_compiled = compile_schema(e->structural);
    entries_.emplace(v, std::move(e));
  }
}

const KcidbSchemas::Entry& KcidbSchemas::entry(report::Version v) const { return *entries_.at(v); }
const json::Value& KcidbSchemas::official(report::Version v) const { return entry(v).official; }
const valijson::Schema& KcidbSchemas::official_compiled(report::Version v) const {
  return *entry(v).official_compiled;
}
const valijson::Schema& KcidbSchemas::structural_compiled(report::Version v) const {
  return *entry(v).structural_compiled;
}

namespace {

// kcidb-io's _get_version(): v1 also reads strings ("1" means 1.1: the
// minor defaults to "1" there); objects need int (Python: bool counts)
// major/minor >= 0, a missing minor being 0. Floats are not ints.
std::optional<report::Version> python_get_version(const json::Value& report) {
  const json::Value* version = member(report, "version");
  if (version == nullptr) return std::nullopt;
  if (version->IsString()) {
    static const std::regex kVersion("([0-9]+)(\\.([0-9]+))?\n?");
    std::string s(json::str(*version));
    std::smatch m;
    if (!std::regex_match(s, m, kVersion) || m[1].length() > 6 || m[3].length() > 6)
      return std::nullopt;
    // Only V1_1 reads strings, so only one that reads as 1.1 selects it.
    report::Version v{std::stoi(m[1].str()), m[3].matched ? std::stoi(m[3].str()) : 1};
    if (v == report::Version{1, 1}) return v;
    return std::nullopt;
  }
  if (!version->IsObject()) return std::nullopt;
  auto as_python_int = [](const json::Value* v) -> std::optional<long long> {
    if (v->IsBool()) return v->GetBool() ? 1 : 0;
    if (v->IsInt64()) return v->GetInt64();
    return std::nullopt;  // floats, and ints too big for any version
  };
  const json::Value* major = member(*version, "major");
  if (major == nullptr) return std::nullopt;
  std::optional<long long> ma = as_python_int(major);
  std::optional<long long> mi = 0;
  if (const json::Value* minor = member(*version, "minor")) mi = as_python_int(minor);
  if (!ma || !mi || *ma < 0 || *mi < 0 || *ma > 1000 || *mi > 1000) return std::nullopt;
  return report::Version{static_cast<int>(*ma), static_cast<int>(*mi)};
}

}  // namespace

report::Version KcidbSchemas::select(const json::Value& report) const {
  if (std::optional<report::Version> v = python_get_version(report); v && entries_.count(*v))
    return *v;
  return report::latest_version();
}

bool KcidbSchemas::python_accepts(const json::Value& report, std::set<Cause>* causes) const {
  const Entry& e = entry(select(report));
  bool structural_ok = valijson_accepts(*e.structural_compiled, report);
  bool leaves_ok = true;
  walk_schema(e.official, report,
              [&](const json::Value& schema, const json::Value& instance, const Path&) {
                if (!python_leaf_checks(schema, instance, causes)) leaves_ok = false;
              });
  return structural_ok && leaves_ok;
}

}  // namespace kci::oracle
