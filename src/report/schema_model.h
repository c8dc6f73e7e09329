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
#include <cstring>
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

namespace detail {

inline std::size_t slot_of(std::string_view key) {
  std::size_t n = key.size();
  if (n == 0) return 0;
  auto c = [&](std::size_t i) {
    return static_cast<std::size_t>(static_cast<unsigned char>(key[i]));
  };
  return (n * 31 + c(0) * 7 + c(n - 1) * 13 + c(n / 2) * 3) & 63;
}

// Field names are short: comparing them in 8-byte words inline beats a call
// to memcmp, which the lookup of every member of every object would pay.
inline bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  std::size_t n = a.size();
  for (; n >= 8; n -= 8, p += 8, q += 8) {
    std::uint64_t x;
    std::uint64_t y;
    std::memcpy(&x, p, 8);
    std::memcpy(&y, q, 8);
    if (x != y) return false;
  }
  for (; n > 0; --n) {
    if (*p++ != *q++) return false;
  }
  return true;
}

}  // namespace detail

// Inline: the validator looks up every member of every object.
inline int ObjectSpec::find(std::string_view key) const {
  for (std::size_t probe = 0, slot = detail::slot_of(key); probe < slots_.size();
       ++probe, slot = (slot + 1) & 63) {
    std::uint8_t entry = slots_[slot];
    if (entry == 0) return -1;
    if (detail::same_name(fields[entry - 1].name, key)) return entry - 1;
  }
  return -1;
}

// The description of a known version (see known_versions()); throws
// VersionError for any other. Built once, on first use; thread-safe.
const Schema& schema_of(Version v);

}  // namespace kci::report::model
