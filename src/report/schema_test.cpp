// SPDX-License-Identifier: LGPL-2.1-or-later
#include "report/schema.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "report/validate_test_support.h"
#include "util/test_support.h"

namespace kci::report {
namespace {

// Reduces a schema to what decides acceptance: "$ref"s inlined, "required"
// sorted, and the descriptive keywords (and "$defs", once inlined) dropped.
// Two schemas with equal reductions accept the same documents.
json::Value reduce(const json::Value& v, const json::Value& root, json::Allocator& a) {
  if (v.IsArray()) {
    json::Value out(rapidjson::kArrayType);
    for (const json::Value& item : v.GetArray()) out.PushBack(reduce(item, root, a), a);
    return out;
  }
  if (!v.IsObject()) return json::Value(v, a);
  if (v.HasMember("$ref")) {
    std::string_view target = json::str(v["$ref"]);
    constexpr std::string_view kDefs = "#/$defs/";
    EXPECT_TRUE(target.starts_with(kDefs)) << target;
    std::string name(target.substr(kDefs.size()));
    return reduce(root["$defs"][name.c_str()], root, a);
  }
  json::Value out(rapidjson::kObjectType);
  for (const auto& m : v.GetObject()) {
    std::string_view key = json::str(m.name);
    if (key == "description" || key == "title" || key == "examples" || key == "$comment" ||
        key == "$schema" || key == "$defs") {
      continue;
    }
    json::Value value = reduce(m.value, root, a);
    if (key == "required") {
      std::vector<std::string> names;
      for (const json::Value& n : value.GetArray()) names.emplace_back(json::str(n));
      std::sort(names.begin(), names.end());
      value.SetArray();
      for (const std::string& n : names) value.PushBack(json::Value(n.c_str(), a), a);
    }
    out.AddMember(json::Value(m.name, a), value, a);
  }
  return out;
}

TEST(Schema, EveryVersionIsADraft07Object) {
  for (const Version& v : known_versions()) {
    json::Document doc;
    build_json_schema(v, doc);
    ASSERT_TRUE(doc.IsObject());
    EXPECT_EQ(json::str(doc["$schema"]), "http://json-schema.org/draft-07/schema#");
    EXPECT_FALSE(doc["additionalProperties"].GetBool());
    EXPECT_TRUE(doc["properties"].HasMember("version"));
  }
}

// The generated schema of every version accepts exactly what the official
// kcidb-io schema of that version accepts (same structure once reduced).
TEST(Schema, EquivalentToTheOfficialSchemas) {
  const std::string dir = KCI_SOURCE_DIR "/../shared/kcidb-schema/";
  if (!std::filesystem::is_directory(dir))
    KCI_MISSING_REAL_PART("official KCIDB schemas not found at " << dir);
  for (const Version& v : known_versions()) {
    char name[32];
    std::snprintf(name, sizeof name, "v%02d_%02d.json", v.major, v.minor);
    json::Document official = testing::parse(read_file(dir + name));
    json::Document ours;
    build_json_schema(v, ours);
    json::Document reduced;
    json::Value a = reduce(official, official, reduced.GetAllocator());
    json::Value b = reduce(ours, ours, reduced.GetAllocator());
    EXPECT_TRUE(a == b) << name << "\nofficial: " << json::write(a)
                        << "\nkci:      " << json::write(b);
    // And the comparison can tell versions apart.
    if (v != known_versions().front()) {
      json::Document older;
      build_json_schema(*(std::find(known_versions().begin(), known_versions().end(), v) - 1),
                        older);
      EXPECT_FALSE(a == reduce(older, older, reduced.GetAllocator())) << name;
    }
  }
}

}  // namespace
}  // namespace kci::report
