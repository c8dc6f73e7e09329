// SPDX-License-Identifier: LGPL-2.1-or-later
// kci's own description of every KCIDB I/O schema version as data: the
// object types of a version, their fields, and each field's kind and
// constraints. Version 1.1 is written out in full and every later version
// as the changes it made to the one before, so a reader can follow the
// format's history. The validator walks these tables, and the JSON Schema
// generator prints them, so there is a single description of the format.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "report/formats.h"
#include "report/patterns.h"
#include "report/version.h"

namespace kci::report::model {

enum class Kind : std::uint8_t {
  kString,
  kBoolean,
  kInteger,  // JSON Schema "integer": integral numbers, including 1.0
  kNumber,
  kFreeObject,  // "misc": any JSON object, nulls included
  kObject,      // an object type of the schema (ValueType::object)
  kVersion,     // the report's "version" (see validate.cpp)
};

// The closed sets of strings a field may take ("enum").
enum class Choice : std::uint8_t {
  kNone,
  kTestStatusV1,  // v1..v4.0 test status
  kStatusV4,      // v4.0..v4.1 status
  kStatusV42,     // v4.2+ status, with MISS
  kNumberPrefix,  // test number prefix
};
std::span<const std::string_view> choice_values(Choice c);

enum class ObjectType : std::uint8_t {
  kReport,
  kRevision,
  kCheckout,
  kBuild,
  kTest,
  kIssue,
  kIncident,
  kResource,
  kEnvironment,
  kNumber,
  kCulprit,
};
inline constexpr std::size_t kObjectTypeCount = 11;

struct ValueType {
  Kind kind = Kind::kString;
  Pattern pattern = Pattern::kNone;
  Format format = Format::kNone;
  Choice choice = Choice::kNone;
  bool non_negative = false;  // "minimum": 0
  ObjectType object = ObjectType::kReport;
  std::uint32_t max_length = 0;  // in code points; 0 = unlimited
};

struct Field {
  std::string_view name;
  ValueType value;
  bool required = false;
  bool array = false;  // an array whose items are `value`
};

// One object type: closed ("additionalProperties": false) in every version.
class ObjectSpec {
 public:
  // The type's name ("checkout"); empty if the version has no such type.
  std::string_view name;
  // Shared types are printed once under "$defs"; the others inline.
  bool shared = false;
  std::vector<Field> fields;

  bool exists() const { return !name.empty(); }
  // The index of the field named key, or -1. No allocation, no hashing of
  // the whole key: a 64-slot open-addressing table keyed on length and
  // three characters, confirmed by one comparison.
  int find(std::string_view key) const;
  // Bit i set = fields[i] is required.
  std::uint64_t required_mask() const { return required_mask_; }

  // Editing, while a version is being built.
  void add(Field f);
  void remove(std::string_view field_name);
  Field& at(std::string_view field_name);
  // Builds the lookup table and required mask; call after editing.
  void index();

 private:
  std::array<std::uint8_t, 64> slots_{};  // field index + 1; 0 = empty
  std::uint64_t required_mask_ = 0;
};

struct Schema {
  Version version;
  std::array<ObjectSpec, kObjectTypeCount> objects;
  const ObjectSpec& object(ObjectType t) const { return objects[static_cast<std::size_t>(t)]; }
  ObjectSpec& object(ObjectType t) { return objects[static_cast<std::size_t>(t)]; }
};

// The description of a known version (see known_versions()); throws
// VersionError for any other. Built once, on first use; thread-safe.
const Schema& schema_of(Version v);

}  // namespace kci::report::model
