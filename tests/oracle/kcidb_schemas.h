// SPDX-License-Identifier: LGPL-2.1-or-later
// The official KCIDB JSON Schemas (read at test time from the shared folder,
// never copied into the tree), compiled for valijson, with kcidb-io's rule
// for choosing the schema that validates a report.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "report/json.h"
#include "report/version.h"

namespace valijson {
class Schema;
}

namespace kci::oracle {

// One step of a JSON pointer: an object member name or an array index.
struct PathToken {
  std::string name;
  std::size_t index = 0;
  bool is_index = false;
};
using Path = std::vector<PathToken>;
std::string to_pointer(const Path& path);

// Compiles a JSON Schema document for valijson (draft 7).
std::shared_ptr<valijson::Schema> compile_schema(const json::Value& schema_doc);
// valijson's verdict on one instance. valijson 1.0 throws when a "format"
// meets a non-string (its type check does not guard it); that counts as
// invalid, since every KCIDB "format" comes with "type": "string", and sets
// *threw.
bool valijson_accepts(const valijson::Schema& schema, const json::Value& instance,
                      bool* threw = nullptr);

// Calls visit(schema_node, instance, path) for every instance value the
// schema reaches through properties, items, $ref (siblings ignored, as in
// draft 7) and oneOf (the branch whose type matches). Values the schema
// does not describe (extra properties, misc contents) are not visited.
using SchemaVisitor =
    std::function<void(const json::Value& schema, const json::Value& instance, const Path& path)>;
void walk_schema(const json::Value& root_schema, const json::Value& instance,
                 const SchemaVisitor& visit);

// Why valijson and kcidb-io disagree on one value (see python_checks.h).
enum class Cause {
  kPatternDollarNewline,      // Python `$` matches before a final "\n"
  kPatternDotCarriageReturn,  // Python `.` matches "\r"
  kDateTime,                  // valijson's date-time regex vs rfc3339-validator
  kUri,                       // valijson does not check uri, rfc3987 does
  kEmail,                     // valijson does not check email, jsonschema wants "@"
  kMaxLengthNul,              // valijson's maxLength stops counting at a NUL
  kIntegerValuedFloat,        // valijson's "integer" rejects 1.0, Python accepts it
  kUint64Bound,               // valijson compares integers above INT64_MAX as negative
};
const char* cause_name(Cause c);

class KcidbSchemas {
 public:
  // Loads vMM_NN.json for every known version from dir. Throws on failure.
  explicit KcidbSchemas(const std::string& dir);

  // The schema version kcidb-io's LATEST.validate() uses for a report: the
  // version exactly equal to the one _get_version() reads from the data, or
  // LATEST when there is none.
  report::Version select(const json::Value& report) const;

  const json::Value& official(report::Version v) const;
  const valijson::Schema& official_compiled(report::Version v) const;
  // The official schema without the leaf keywords valijson and Python
  // disagree on (pattern, format, maxLength, minimum, maximum; "integer"
  // relaxed to "number"), for valijson to check everything else.
  const valijson::Schema& structural_compiled(report::Version v) const;

  // kcidb-io's verdict: valijson on the structural schema plus Python's
  // leaf checks. When causes is given, also records every leaf where
  // valijson's own verdict on the official keyword differs from Python's.
  bool python_accepts(const json::Value& report, std::set<Cause>* causes = nullptr) const;

 private:
  struct Entry {
    json::Document official;
    json::Document structural;
    std::shared_ptr<valijson::Schema> official_compiled;
    std::shared_ptr<valijson::Schema> structural_compiled;
  };
  const Entry& entry(report::Version v) const;
  std::map<report::Version, std::unique_ptr<Entry>> entries_;
};

// The file name of a version's official schema: "v05_03.json".
std::string schema_file_name(report::Version v);

}  // namespace kci::oracle
