// SPDX-License-Identifier: LGPL-2.1-or-later
#include "report/model.h"

#include <cstring>

namespace kci::report {

const char* list_name(ObjectType type) {
  switch (type) {
    case ObjectType::kCheckout: return "checkouts";
    case ObjectType::kBuild: return "builds";
    case ObjectType::kTest: return "tests";
    case ObjectType::kIssue: return "issues";
    case ObjectType::kIncident: return "incidents";
  }
  return "";
}

namespace {

[[noreturn]] void wrong_type(const std::string& pointer, const char* expected) {
  throw ModelError(pointer + ": expected " + expected + " (validate the report first)");
}

std::string pointer_of(const std::string& object_pointer, const FieldInfo& info) {
  std::string p = object_pointer;
  if (info.parent) json::append_pointer_token(p, info.parent);
  json::append_pointer_token(p, info.name);
  return p;
}

void read_value(const json::Value& v, const std::string& pointer, FieldKind kind, Text& out) {
  if (kind == FieldKind::kJson) {
    out = json::write(v);
    return;
  }
  if (!v.IsString()) wrong_type(pointer, "a string");
  out.emplace(v.GetString(), v.GetStringLength());
}
void read_value(const json::Value& v, const std::string& pointer, FieldKind, Float& out) {
  if (!v.IsNumber()) wrong_type(pointer, "a number");
  out = v.GetDouble();
}
void read_value(const json::Value& v, const std::string& pointer, FieldKind, Integer& out) {
  if (!v.IsInt64()) wrong_type(pointer, "an integer");
  out = v.GetInt64();
}
void read_value(const json::Value& v, const std::string& pointer, FieldKind, Bool& out) {
  if (!v.IsBool()) wrong_type(pointer, "a boolean");
  out = v.GetBool();
}
void read_value(const json::Value& v, const std::string& pointer, FieldKind, TextArray& out) {
  if (!v.IsArray()) wrong_type(pointer, "an array of strings");
  out.emplace();
  out->reserve(v.Size());
  for (const auto& item : v.GetArray()) {
    if (!item.IsString()) wrong_type(pointer, "an array of strings");
    out->emplace_back(item.GetString(), item.GetStringLength());
  }
}

json::Value make_string(const std::string& s, json::Allocator& alloc) {
  return json::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), alloc);
}

json::Value write_value(const std::string& s, FieldKind kind, json::Allocator& alloc) {
  if (kind != FieldKind::kJson) return make_string(s, alloc);
  json::Document parsed(&alloc);
  parsed.Parse(s.data(), s.size());
  if (parsed.HasParseError())
    throw ModelError("stored JSON value is malformed: " + s.substr(0, 80));
  json::Value out;
  out.CopyFrom(parsed, alloc);
  return out;
}
json::Value write_value(double d, FieldKind, json::Allocator&) { return json::Value(d); }
json::Value write_value(std::int64_t i, FieldKind, json::Allocator&) {
  return json::Value(static_cast<int64_t>(i));
}
json::Value write_value(bool b, FieldKind, json::Allocator&) { return json::Value(b); }
json::Value write_value(const std::vector<std::string>& items, FieldKind, json::Allocator& alloc) {
  json::Value arr(rapidjson::kArrayType);
  arr.Reserve(static_cast<rapidjson::SizeType>(items.size()), alloc);
  for (const auto& s : items) arr.PushBack(make_string(s, alloc), alloc);
  return arr;
}

// Checks that every member of a JSON object (or nested object) is a field
// the model knows, so nothing is silently dropped.
template <typename T>
void check_known_members(const json::Value& obj, const char* parent, const std::string& pointer) {
  const auto& fields = fields_of<T>();
  for (const auto& m : obj.GetObject()) {
    std::string_view name = json::str(m.name);
    bool known = false;
    for (const auto& f : fields) {
      if (parent == nullptr) {
        known = f.parent ? name == f.parent : name == f.name;
      } else {
        known = f.parent && std::strcmp(f.parent, parent) == 0 && name == f.name;
      }
      if (known) break;
    }
    if (!known) {
      std::string p = pointer;
      json::append_pointer_token(p, name);
      throw ModelError(p + ": unknown field for v5.3 " + std::string(list_name(T::kType)));
    }
  }
}

}  // namespace

template <typename T>
void object_from_json(const json::Value& v, const std::string& pointer, T& out) {
  if (!v.IsObject()) wrong_type(pointer, "an object");
  check_known_members<T>(v, nullptr, pointer);
  T::visit(out, [&](const FieldInfo& info, auto& member) {
    const json::Value* container = &v;
    if (info.parent) {
      auto p = v.FindMember(info.parent);
      if (p == v.MemberEnd()) return;
      if (!p->value.IsObject()) {
        std::string pp = pointer;
        json::append_pointer_token(pp, info.parent);
        wrong_type(pp, "an object");
      }
      container = &p->value;
    }
    auto it = container->FindMember(info.name);
    if (it == container->MemberEnd()) return;
    read_value(it->value, pointer_of(pointer, info), info.kind, member);
  });
  // Nested objects must hold only known sub-fields too.
  for (const auto& m : v.GetObject()) {
    if (m.value.IsObject() && (json::str(m.name) == "environment" ||
                               json::str(m.name) == "number" || json::str(m.name) == "culprit")) {
      std::string p = pointer;
      json::append_pointer_token(p, json::str(m.name));
      check_known_members<T>(m.value, m.name.GetString(), p);
    }
  }
}

template <typename T>
void object_to_json(const T& o, json::Value& out, json::Allocator& alloc, bool with_metadata) {
  out.SetObject();
  T::visit(o, [&](const FieldInfo& info, const auto& member) {
    if (!member || (info.metadata && !with_metadata)) return;
    json::Value value = write_value(*member, info.kind, alloc);
    json::Value* container = &out;
    if (info.parent) {
      auto p = out.FindMember(info.parent);
      if (p == out.MemberEnd()) {
        out.AddMember(json::Value(rapidjson::StringRef(info.parent)),
                      json::Value(rapidjson::kObjectType), alloc);
        p = out.FindMember(info.parent);
      }
      container = &p->value;
    }
    container->AddMember(json::Value(rapidjson::StringRef(info.name)), value, alloc);
  });
}

#define KCI_INSTANTIATE(T)                                                       \
  template void object_from_json<T>(const json::Value&, const std::string&, T&); \
  template void object_to_json<T>(const T&, json::Value&, json::Allocator&, bool);
KCI_INSTANTIATE(Checkout)
KCI_INSTANTIATE(Build)
KCI_INSTANTIATE(Test)
KCI_INSTANTIATE(Issue)
KCI_INSTANTIATE(Incident)
#undef KCI_INSTANTIATE

Report from_json(const json::Value& report) {
  if (!report.IsObject()) wrong_type("", "a report object");
  auto version = report.FindMember("version");
  if (version == report.MemberEnd() || !version->value.IsObject() ||
      !version->value.HasMember("major") || !version->value["major"].IsInt() ||
      version->value["major"].GetInt() != 5) {
    throw ModelError("/version: the store takes v5 reports (upgrade the report first)");
  }
  for (const auto& m : report.GetObject()) {
    std::string_view name = json::str(m.name);
    bool known = name == "version";
    for (ObjectType t : kObjectTypes) known = known || name == list_name(t);
    if (!known) {
      std::string p;
      json::append_pointer_token(p, name);
      throw ModelError(p + ": unknown object list for v5.3");
    }
  }
  Report out;
  Report::each_list(out, [&](auto& list) {
    using T = typename std::decay_t<decltype(list)>::value_type;
    const char* name = list_name(T::kType);
    auto it = report.FindMember(name);
    if (it == report.MemberEnd()) return;
    std::string pointer = std::string("/") + name;
    if (!it->value.IsArray()) wrong_type(pointer, "an array");
    list.resize(it->value.Size());
    for (rapidjson::SizeType i = 0; i < it->value.Size(); ++i) {
      std::string p = pointer;
      json::append_pointer_index(p, i);
      object_from_json(it->value[i], p, list[i]);
    }
  });
  return out;
}

void to_json(const Report& report, json::Document& out, bool with_metadata) {
  out.SetObject();
  auto& alloc = out.GetAllocator();
  json::Value version(rapidjson::kObjectType);
  version.AddMember("major", 5, alloc);
  version.AddMember("minor", 3, alloc);
  out.AddMember("version", version, alloc);
  Report::each_list(report, [&](const auto& list) {
    using T = typename std::decay_t<decltype(list)>::value_type;
    if (list.empty()) return;
    json::Value arr(rapidjson::kArrayType);
    arr.Reserve(static_cast<rapidjson::SizeType>(list.size()), alloc);
    for (const T& o : list) {
      json::Value v;
      object_to_json(o, v, alloc, with_metadata);
      arr.PushBack(v, alloc);
    }
    out.AddMember(json::Value(rapidjson::StringRef(list_name(T::kType))), arr, alloc);
  });
}

std::string text_array_json(const std::vector<std::string>& items) {
  json::Document doc;
  json::Value arr = write_value(items, FieldKind::kTextArray, doc.GetAllocator());
  return json::write(arr);
}

std::vector<std::string> parse_text_array(std::string_view text) {
  json::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsArray()) {
    throw ModelError("stored string list is malformed: " + std::string(text.substr(0, 80)));
  }
  TextArray out;
  read_value(doc, "", FieldKind::kTextArray, out);
  return std::move(*out);
}

}  // namespace kci::report
