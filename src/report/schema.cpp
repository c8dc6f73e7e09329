// SPDX-License-Identifier: LGPL-2.1-or-later
// Prints schema_model's description of a version as a draft-07 JSON Schema
// that accepts what kcidb-io's schema of that version accepts. Shared object
// types go under "$defs" (as kcidb-io's do); the small nested ones inline.
#include "report/schema.h"

#include "report/schema_model.h"

namespace kci::report {

namespace {

using json::Allocator;
using json::Value;
using model::Kind;
using model::ObjectSpec;
using model::ObjectType;
using model::ValueType;

Value ref(std::string_view s) { return Value(rapidjson::StringRef(s.data(), s.size())); }

// kci's own one-line summaries of the object types.
std::string_view summary(ObjectType t) {
  switch (t) {
    case ObjectType::kReport:
      return "A KCIDB report: lists of objects a CI system submits about kernel testing";
    case ObjectType::kRevision: return "A revision of the code being tested";
    case ObjectType::kCheckout: return "A checkout of the source code being tested";
    case ObjectType::kBuild: return "A build of a checkout";
    case ObjectType::kTest: return "A test run on a build";
    case ObjectType::kIssue: return "A known issue, in one of its versions";
    case ObjectType::kIncident: return "An occurrence (or absence) of an issue in a build or test";
    case ObjectType::kResource: return "A named file at a URL";
    case ObjectType::kEnvironment: return "Where the test ran";
    case ObjectType::kNumber: return "A number the test produced";
    case ObjectType::kCulprit: return "Which layers caused the issue";
  }
  return "";
}

class Printer {
 public:
  Printer(const model::Schema& schema, Allocator& a) : schema_(schema), a_(a) {}

  Value object(ObjectType t) {
    const ObjectSpec& spec = schema_.object(t);
    Value o(rapidjson::kObjectType);
    o.AddMember("title", ref(spec.name), a_);
    o.AddMember("description", ref(summary(t)), a_);
    o.AddMember("type", "object", a_);
    Value properties(rapidjson::kObjectType);
    Value required(rapidjson::kArrayType);
    for (const model::Field& f : spec.fields) {
      Value v = value(f.value);
      if (f.array) {
        Value array(rapidjson::kObjectType);
        array.AddMember("type", "array", a_);
        array.AddMember("items", v, a_);
        v = std::move(array);
      }
      properties.AddMember(ref(f.name), v, a_);
      if (f.required) required.PushBack(ref(f.name), a_);
    }
    o.AddMember("properties", properties, a_);
    o.AddMember("additionalProperties", false, a_);
    if (!required.Empty()) o.AddMember("required", required, a_);
    return o;
  }

 private:
  Value value(const ValueType& t) {
    Value v(rapidjson::kObjectType);
    switch (t.kind) {
      case Kind::kString:
        v.AddMember("type", "string", a_);
        if (t.pattern != Pattern::kNone) v.AddMember("pattern", ref(pattern_regex(t.pattern)), a_);
        if (t.format != Format::kNone) v.AddMember("format", ref(format_name(t.format)), a_);
        if (t.max_length != 0) v.AddMember("maxLength", t.max_length, a_);
        if (t.choice != model::Choice::kNone) {
          Value values(rapidjson::kArrayType);
          for (std::string_view c : model::choice_values(t.choice)) values.PushBack(ref(c), a_);
          v.AddMember("enum", values, a_);
        }
        break;
      case Kind::kBoolean: v.AddMember("type", "boolean", a_); break;
      case Kind::kInteger:
        v.AddMember("type", "integer", a_);
        if (t.non_negative) v.AddMember("minimum", 0, a_);
        break;
      case Kind::kNumber: v.AddMember("type", "number", a_); break;
      case Kind::kFreeObject:
        v.AddMember("type", "object", a_);
        v.AddMember("description", "Free-form data (may contain anything)", a_);
        break;
      case Kind::kObject:
        if (schema_.object(t.object).shared) {
          std::string target = "#/$defs/" + std::string(schema_.object(t.object).name);
          v.AddMember("$ref", Value(target.c_str(), a_), a_);
        } else {
          v = object(t.object);
        }
        break;
      case Kind::kVersion: v = version(); break;
    }
    return v;
  }

  Value version() {
    const Version ver = schema_.version;
    Value major(rapidjson::kObjectType);
    major.AddMember("type", "integer", a_);
    major.AddMember("const", ver.major, a_);
    Value minor(rapidjson::kObjectType);
    minor.AddMember("type", "integer", a_);
    minor.AddMember("minimum", 0, a_);
    minor.AddMember("maximum", ver.minor, a_);
    Value properties(rapidjson::kObjectType);
    properties.AddMember("major", major, a_);
    properties.AddMember("minor", minor, a_);
    Value object(rapidjson::kObjectType);
    object.AddMember("type", "object", a_);
    object.AddMember("properties", properties, a_);
    object.AddMember("additionalProperties", false, a_);
    Value required(rapidjson::kArrayType);
    required.PushBack("major", a_);
    object.AddMember("required", required, a_);
    if (ver.major != 1) {
      object.AddMember("description", "The schema version of the report", a_);
      return object;
    }
    // v1 data may also give its version as the string "1" or "1.0".
    Value as_string(rapidjson::kObjectType);
    as_string.AddMember("type", "string", a_);
    as_string.AddMember("pattern", ref(pattern_regex(Pattern::kVersionStringV1)), a_);
    Value one_of(rapidjson::kArrayType);
    one_of.PushBack(as_string, a_);
    one_of.PushBack(object, a_);
    Value v(rapidjson::kObjectType);
    v.AddMember("description", "The schema version of the report", a_);
    v.AddMember("oneOf", one_of, a_);
    return v;
  }

  const model::Schema& schema_;
  Allocator& a_;
};

}  // namespace

void build_json_schema(Version v, json::Document& doc) {
  const model::Schema& schema = model::schema_of(v);
  Allocator& a = doc.GetAllocator();
  Printer printer(schema, a);
  Value defs(rapidjson::kObjectType);
  for (std::size_t i = 0; i < model::kObjectTypeCount; ++i) {
    const ObjectSpec& spec = schema.objects[i];
    if (spec.exists() && spec.shared)
      defs.AddMember(ref(spec.name), printer.object(static_cast<ObjectType>(i)), a);
  }
  Value report = printer.object(ObjectType::kReport);
  doc.SetObject();
  doc.AddMember("$schema", "http://json-schema.org/draft-07/schema#", a);
  std::string id = "kci KCIDB I/O schema v" + v.str();
  doc.AddMember("$comment", Value(id.c_str(), a), a);
  for (auto& m : report.GetObject()) doc.AddMember(m.name, m.value, a);
  doc.AddMember("$defs", defs, a);
}

}  // namespace kci::report
