// SPDX-License-Identifier: LGPL-2.1-or-later
// Typed KCIDB v5.3 objects, flattened the way kcidb's databases store them
// (environment.comment -> environment_comment, number.value -> number_value,
// culprit.code -> culprit_code). Every field is optional: a missing field is
// "unknown", never a default. Free-form JSON (misc, resource lists,
// environment.misc) is kept as compact JSON text, since nothing in kci looks
// inside it and the stores keep it as JSON/JSONB as-is.
//
// Each struct lists its fields once, in visit(), in the column order of
// kcidb's PostgreSQL v5.3 tables. JSON conversion, dedup and both database
// drivers are written against that list, so adding a field is one line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "report/json.h"
#include "util/error.h"

namespace kci::report {

// KCIDB's cap on log_excerpt (VARCHAR(16384) in its schema), in bytes.
inline constexpr std::size_t kMaxLogExcerpt = 16384;

// How a field is represented; decides JSON conversion and SQL column types.
enum class FieldKind {
  kText,       // JSON string
  kTimestamp,  // JSON string, RFC 3339 date-time
  kStatus,     // JSON string, FAIL|ERROR|MISS|PASS|DONE|SKIP
  kPrefix,     // JSON string, metric|binary
  kFloat,      // JSON number
  kInteger,    // JSON integer
  kBool,       // JSON boolean
  kJson,       // any JSON value, kept as compact JSON text
  kTextArray,  // JSON array of strings
};

// One field of an object type: its database column and where it lives in
// the JSON object (parent = nested object name, or nullptr for top level).
struct FieldInfo {
  const char* column;
  const char* parent;
  const char* name;
  FieldKind kind;
  const char* pg_type;  // exact kcidb PostgreSQL v5.3 column type
  bool not_null;        // NOT NULL in kcidb's tables (required in the schema)
  bool metadata;        // "_timestamp": only loaded/returned when asked
};

using Text = std::optional<std::string>;
using Float = std::optional<double>;
using Integer = std::optional<std::int64_t>;
using Bool = std::optional<bool>;
using TextArray = std::optional<std::vector<std::string>>;

enum class ObjectType { kCheckout, kBuild, kTest, kIssue, kIncident };
inline constexpr ObjectType kObjectTypes[] = {ObjectType::kCheckout, ObjectType::kBuild,
                                              ObjectType::kTest, ObjectType::kIssue,
                                              ObjectType::kIncident};
// "checkouts", "builds", ...: the report list and the table name.
const char* list_name(ObjectType type);

// F is called as f(const FieldInfo&, Member&) for every field, in column order.
#define KCI_FIELD(column, parent, name, kind, pg, not_null, member) \
  f(FieldInfo{column, parent, name, FieldKind::kind, pg, not_null, false}, o.member)
#define KCI_TIMESTAMP_FIELD(member)                                                             \
  f(FieldInfo{"_timestamp", nullptr, "_timestamp", FieldKind::kTimestamp, "TIMESTAMPTZ", false, \
              true},                                                                            \
    o.member)

struct Checkout {
  static constexpr ObjectType kType = ObjectType::kCheckout;
  Text timestamp, id, origin, tree_name, git_repository_url, git_commit_hash, git_commit_name,
      git_repository_branch, patchset_files, patchset_hash, message_id, comment, start_time,
      log_url, log_excerpt;
  Bool valid;
  Text misc;
  TextArray git_commit_tags;
  Text git_commit_message;
  Bool git_repository_branch_tip;
  Text origin_builds_finish_time, origin_tests_finish_time;

  template <typename Self, typename F>
  static void visit(Self& o, F&& f) {
    KCI_TIMESTAMP_FIELD(timestamp);
    KCI_FIELD("id", nullptr, "id", kText, "TEXT", true, id);
    KCI_FIELD("origin", nullptr, "origin", kText, "TEXT", true, origin);
    KCI_FIELD("tree_name", nullptr, "tree_name", kText, "TEXT", false, tree_name);
    KCI_FIELD("git_repository_url", nullptr, "git_repository_url", kText, "TEXT", false,
              git_repository_url);
    KCI_FIELD("git_commit_hash", nullptr, "git_commit_hash", kText, "TEXT", false, git_commit_hash);
    KCI_FIELD("git_commit_name", nullptr, "git_commit_name", kText, "TEXT", false, git_commit_name);
    KCI_FIELD("git_repository_branch", nullptr, "git_repository_branch", kText, "TEXT", false,
              git_repository_branch);
    KCI_FIELD("patchset_files", nullptr, "patchset_files", kJson, "JSONB", false, patchset_files);
    KCI_FIELD("patchset_hash", nullptr, "patchset_hash", kText, "TEXT", false, patchset_hash);
    KCI_FIELD("message_id", nullptr, "message_id", kText, "TEXT", false, message_id);
    KCI_FIELD("comment", nullptr, "comment", kText, "TEXT", false, comment);
    KCI_FIELD("start_time", nullptr, "start_time", kTimestamp, "TIMESTAMPTZ", false, start_time);
    KCI_FIELD("log_url", nullptr, "log_url", kText, "TEXT", false, log_url);
    KCI_FIELD("log_excerpt", nullptr, "log_excerpt", kText, "VARCHAR(16384)", false, log_excerpt);
    KCI_FIELD("valid", nullptr, "valid", kBool, "BOOLEAN", false, valid);
    KCI_FIELD("misc", nullptr, "misc", kJson, "JSONB", false, misc);
    KCI_FIELD("git_commit_tags", nullptr, "git_commit_tags", kTextArray, "TEXT[]", false,
              git_commit_tags);
    KCI_FIELD("git_commit_message", nullptr, "git_commit_message", kText, "TEXT", false,
              git_commit_message);
    KCI_FIELD("git_repository_branch_tip", nullptr, "git_repository_branch_tip", kBool, "BOOLEAN",
              false, git_repository_branch_tip);
    KCI_FIELD("origin_builds_finish_time", nullptr, "origin_builds_finish_time", kTimestamp,
              "TIMESTAMPTZ", false, origin_builds_finish_time);
    KCI_FIELD("origin_tests_finish_time", nullptr, "origin_tests_finish_time", kTimestamp,
              "TIMESTAMPTZ", false, origin_tests_finish_time);
  }
};

struct Build {
  static constexpr ObjectType kType = ObjectType::kBuild;
  Text timestamp, checkout_id, id, origin, comment, start_time;
  Float duration;
  Text architecture, command, compiler, input_files, output_files, config_name, config_url, log_url,
      log_excerpt, misc, status;

  template <typename Self, typename F>
  static void visit(Self& o, F&& f) {
    KCI_TIMESTAMP_FIELD(timestamp);
    KCI_FIELD("checkout_id", nullptr, "checkout_id", kText, "TEXT", true, checkout_id);
    KCI_FIELD("id", nullptr, "id", kText, "TEXT", true, id);
    KCI_FIELD("origin", nullptr, "origin", kText, "TEXT", true, origin);
    KCI_FIELD("comment", nullptr, "comment", kText, "TEXT", false, comment);
    KCI_FIELD("start_time", nullptr, "start_time", kTimestamp, "TIMESTAMPTZ", false, start_time);
    KCI_FIELD("duration", nullptr, "duration", kFloat, "DOUBLE PRECISION", false, duration);
    KCI_FIELD("architecture", nullptr, "architecture", kText, "TEXT", false, architecture);
    KCI_FIELD("command", nullptr, "command", kText, "TEXT", false, command);
    KCI_FIELD("compiler", nullptr, "compiler", kText, "TEXT", false, compiler);
    KCI_FIELD("input_files", nullptr, "input_files", kJson, "JSONB", false, input_files);
    KCI_FIELD("output_files", nullptr, "output_files", kJson, "JSONB", false, output_files);
    KCI_FIELD("config_name", nullptr, "config_name", kText, "TEXT", false, config_name);
    KCI_FIELD("config_url", nullptr, "config_url", kText, "TEXT", false, config_url);
    KCI_FIELD("log_url", nullptr, "log_url", kText, "TEXT", false, log_url);
    KCI_FIELD("log_excerpt", nullptr, "log_excerpt", kText, "VARCHAR(16384)", false, log_excerpt);
    KCI_FIELD("misc", nullptr, "misc", kJson, "JSONB", false, misc);
    KCI_FIELD("status", nullptr, "status", kStatus, "STATUS", false, status);
  }
};

struct Test {
  static constexpr ObjectType kType = ObjectType::kTest;
  Text timestamp, build_id, id, origin, environment_comment, environment_misc, path, comment,
      log_url, log_excerpt, status, start_time;
  Float duration;
  Text output_files, misc;
  TextArray environment_compatible;
  Float number_value;
  Text number_unit, number_prefix, input_files;

  template <typename Self, typename F>
  static void visit(Self& o, F&& f) {
    KCI_TIMESTAMP_FIELD(timestamp);
    KCI_FIELD("build_id", nullptr, "build_id", kText, "TEXT", true, build_id);
    KCI_FIELD("id", nullptr, "id", kText, "TEXT", true, id);
    KCI_FIELD("origin", nullptr, "origin", kText, "TEXT", true, origin);
    KCI_FIELD("environment_comment", "environment", "comment", kText, "TEXT", false,
              environment_comment);
    KCI_FIELD("environment_misc", "environment", "misc", kJson, "JSONB", false, environment_misc);
    KCI_FIELD("path", nullptr, "path", kText, "TEXT", false, path);
    KCI_FIELD("comment", nullptr, "comment", kText, "TEXT", false, comment);
    KCI_FIELD("log_url", nullptr, "log_url", kText, "TEXT", false, log_url);
    KCI_FIELD("log_excerpt", nullptr, "log_excerpt", kText, "VARCHAR(16384)", false, log_excerpt);
    KCI_FIELD("status", nullptr, "status", kStatus, "STATUS", false, status);
    KCI_FIELD("start_time", nullptr, "start_time", kTimestamp, "TIMESTAMPTZ", false, start_time);
    KCI_FIELD("duration", nullptr, "duration", kFloat, "DOUBLE PRECISION", false, duration);
    KCI_FIELD("output_files", nullptr, "output_files", kJson, "JSONB", false, output_files);
    KCI_FIELD("misc", nullptr, "misc", kJson, "JSONB", false, misc);
    KCI_FIELD("environment_compatible", "environment", "compatible", kTextArray, "TEXT[]", false,
              environment_compatible);
    KCI_FIELD("number_value", "number", "value", kFloat, "DOUBLE PRECISION", false, number_value);
    KCI_FIELD("number_unit", "number", "unit", kText, "TEXT", false, number_unit);
    KCI_FIELD("number_prefix", "number", "prefix", kPrefix, "UNIT_PREFIX", false, number_prefix);
    KCI_FIELD("input_files", nullptr, "input_files", kJson, "JSONB", false, input_files);
  }
};

struct Issue {
  static constexpr ObjectType kType = ObjectType::kIssue;
  Text timestamp, id;
  Integer version;
  Text origin, report_url, report_subject;
  Bool culprit_code, culprit_tool, culprit_harness;
  Text comment, misc;
  TextArray categories;

  template <typename Self, typename F>
  static void visit(Self& o, F&& f) {
    KCI_TIMESTAMP_FIELD(timestamp);
    KCI_FIELD("id", nullptr, "id", kText, "TEXT", true, id);
    KCI_FIELD("version", nullptr, "version", kInteger, "INTEGER", true, version);
    KCI_FIELD("origin", nullptr, "origin", kText, "TEXT", true, origin);
    KCI_FIELD("report_url", nullptr, "report_url", kText, "TEXT", false, report_url);
    KCI_FIELD("report_subject", nullptr, "report_subject", kText, "TEXT", false, report_subject);
    KCI_FIELD("culprit_code", "culprit", "code", kBool, "BOOLEAN", false, culprit_code);
    KCI_FIELD("culprit_tool", "culprit", "tool", kBool, "BOOLEAN", false, culprit_tool);
    KCI_FIELD("culprit_harness", "culprit", "harness", kBool, "BOOLEAN", false, culprit_harness);
    KCI_FIELD("comment", nullptr, "comment", kText, "TEXT", false, comment);
    KCI_FIELD("misc", nullptr, "misc", kJson, "JSONB", false, misc);
    KCI_FIELD("categories", nullptr, "categories", kTextArray, "TEXT[]", false, categories);
  }
};

struct Incident {
  static constexpr ObjectType kType = ObjectType::kIncident;
  Text timestamp, id, origin, issue_id;
  Integer issue_version;
  Text build_id, test_id;
  Bool present;
  Text comment, misc;

  template <typename Self, typename F>
  static void visit(Self& o, F&& f) {
    KCI_TIMESTAMP_FIELD(timestamp);
    KCI_FIELD("id", nullptr, "id", kText, "TEXT", true, id);
    KCI_FIELD("origin", nullptr, "origin", kText, "TEXT", true, origin);
    KCI_FIELD("issue_id", nullptr, "issue_id", kText, "TEXT", true, issue_id);
    KCI_FIELD("issue_version", nullptr, "issue_version", kInteger, "INTEGER", true, issue_version);
    KCI_FIELD("build_id", nullptr, "build_id", kText, "TEXT", false, build_id);
    KCI_FIELD("test_id", nullptr, "test_id", kText, "TEXT", false, test_id);
    KCI_FIELD("present", nullptr, "present", kBool, "BOOLEAN", false, present);
    KCI_FIELD("comment", nullptr, "comment", kText, "TEXT", false, comment);
    KCI_FIELD("misc", nullptr, "misc", kJson, "JSONB", false, misc);
  }
};

#undef KCI_FIELD
#undef KCI_TIMESTAMP_FIELD

// The field list of an object type, in column order.
template <typename T>
const std::vector<FieldInfo>& fields_of() {
  static const std::vector<FieldInfo> fields = [] {
    std::vector<FieldInfo> out;
    T o;
    T::visit(o, [&](const FieldInfo& info, auto&) { out.push_back(info); });
    return out;
  }();
  return fields;
}

// The identity of an object: id, and for issues the version too.
struct ObjectKey {
  std::string id;
  std::int64_t version = 0;  // issues only
  auto operator<=>(const ObjectKey&) const = default;
};
template <typename T>
ObjectKey key_of(const T& o) {
  if constexpr (std::is_same_v<T, Issue>) {
    return {o.id.value_or(""), o.version.value_or(0)};
  } else {
    return {o.id.value_or(""), 0};
  }
}

// key_of(a) < key_of(b) without copying the ids.
template <typename T>
bool key_less(const T& a, const T& b) {
  static const std::string kNone;
  const std::string& ia = a.id ? *a.id : kNone;
  const std::string& ib = b.id ? *b.id : kNone;
  if constexpr (std::is_same_v<T, Issue>) {
    if (ia != ib) return ia < ib;
    return a.version.value_or(0) < b.version.value_or(0);
  } else {
    return ia < ib;
  }
}

// A v5.3 report as typed objects.
struct Report {
  std::vector<Checkout> checkouts;
  std::vector<Build> builds;
  std::vector<Test> tests;
  std::vector<Issue> issues;
  std::vector<Incident> incidents;

  std::size_t size() const {
    return checkouts.size() + builds.size() + tests.size() + issues.size() + incidents.size();
  }
  bool empty() const { return size() == 0; }
  void clear() { *this = Report{}; }

  // Calls f(std::vector<T>&) for each object list, in graph order.
  template <typename Self, typename F>
  static void each_list(Self& r, F&& f) {
    f(r.checkouts);
    f(r.builds);
    f(r.tests);
    f(r.issues);
    f(r.incidents);
  }

  // The list of objects of type T (report::Checkout ... report::Incident).
  template <typename T>
  std::vector<T>& list() {
    if constexpr (std::is_same_v<T, Checkout>) return checkouts;
    if constexpr (std::is_same_v<T, Build>) return builds;
    if constexpr (std::is_same_v<T, Test>) return tests;
    if constexpr (std::is_same_v<T, Issue>) return issues;
    if constexpr (std::is_same_v<T, Incident>) return incidents;
  }
};

// Calls f with a default-constructed object of the struct of `type`, for
// code that picks its template by a run-time type.
template <typename F>
void with_object_type(ObjectType type, F&& f) {
  switch (type) {
    case ObjectType::kCheckout: f(Checkout{}); break;
    case ObjectType::kBuild: f(Build{}); break;
    case ObjectType::kTest: f(Test{}); break;
    case ObjectType::kIssue: f(Issue{}); break;
    case ObjectType::kIncident: f(Incident{}); break;
  }
}

// Data the model cannot hold: not a v5.x report, or a field of the wrong
// JSON type (i.e. the report was not validated). The message names the
// JSON pointer.
class ModelError : public InvalidInputError {
 public:
  using InvalidInputError::InvalidInputError;
};

// Converts a valid v5.x report (upgrade older ones first). `_timestamp` is
// read when present; unknown members are an error (the schema forbids them).
// Throws ModelError.
Report from_json(const json::Value& report);

// Writes `report` as a v5.3 report document into out (overwriting it).
// with_metadata = false leaves out `_timestamp`. Empty lists are omitted.
void to_json(const Report& report, json::Document& out, bool with_metadata = true);

// Helpers for the drivers: one object to/from JSON.
template <typename T>
void object_from_json(const json::Value& v, const std::string& pointer, T& out);
template <typename T>
void object_to_json(const T& o, json::Value& out, json::Allocator& alloc, bool with_metadata);

// Compact JSON text of a string list, and back (for stores that keep arrays
// as JSON text). parse_text_array throws ModelError on malformed text.
std::string text_array_json(const std::vector<std::string>& items);
std::vector<std::string> parse_text_array(std::string_view text);

}  // namespace kci::report
