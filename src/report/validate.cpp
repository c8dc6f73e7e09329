// SPDX-License-Identifier: LGPL-2.1-or-later
// The validator walks a report once, driven by the version's description in
// schema_model. The happy path allocates nothing per value: the JSON pointer
// of the current value is a stack of (key | index) steps, rendered only when
// an error is found; field lookup uses each object type's small hash table,
// and a bitmask of seen fields catches duplicate keys (RapidJSON keeps both
// members) and missing required fields.
#include "report/validate.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>

#include "report/schema_model.h"

namespace kci::report {

namespace {

using model::Field;
using model::Kind;
using model::ObjectSpec;
using model::ValueType;

// A short, JSON-quoted rendering of a value for error messages.
std::string describe(const json::Value& v) {
  constexpr std::size_t kMaxShown = 80;
  switch (v.GetType()) {
    case rapidjson::kNullType: return "null";
    case rapidjson::kFalseType: return "false";
    case rapidjson::kTrueType: return "true";
    case rapidjson::kObjectType: return "an object";
    case rapidjson::kArrayType: return "an array";
    case rapidjson::kNumberType: return json::write(v);
    case rapidjson::kStringType: break;
  }
  std::string_view s = json::str(v);
  if (s.size() <= kMaxShown) return json::write(v);
  std::size_t cut = kMaxShown;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // whole characters
  json::Value shown(rapidjson::StringRef(s.data(), cut));
  return json::write(shown) + "... (" + std::to_string(s.size()) + " bytes)";
}

// The number of code points in valid UTF-8 text (JSON Schema's maxLength
// counts characters, as Python's len() does).
std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// JSON Schema's integer: any number with no fractional part, so 1.0 is one
// (booleans are never numbers in RapidJSON).
bool is_integer(const json::Value& v) {
  if (v.IsInt64() || v.IsUint64()) return true;
  if (!v.IsDouble()) return false;
  double d = v.GetDouble();
  return std::isfinite(d) && d == std::floor(d);
}
bool is_negative(const json::Value& v) {
  return v.IsInt64() ? v.GetInt64() < 0 : !v.IsUint64() && v.GetDouble() < 0;
}

std::string expected_kind(const model::Schema& schema, const ValueType& t) {
  switch (t.kind) {
    case Kind::kString: return "a string";
    case Kind::kBoolean: return "a boolean";
    case Kind::kInteger: return "an integer";
    case Kind::kNumber: return "a number";
    case Kind::kFreeObject: return "an object";
    case Kind::kObject: return "a " + std::string(schema.object(t.object).name) + " object";
    case Kind::kVersion: break;
  }
  return "a version";
}

// One step of the path to the current value: an object member's name, or
// an array index (then key.data() is null).
struct Step {
  std::string_view key;
  std::size_t index;
};

// The path from the report to the current value. Its storage only grows
// when data nests deeper than any before, so the happy path never allocates.
class PathStack {
 public:
  PathStack() : steps_(32) {}
  void push(Step step) {
    if (depth_ == steps_.size()) steps_.resize(depth_ * 2);
    steps_[depth_++] = step;
  }
  void pop() { --depth_; }
  std::span<const Step> steps() const { return {steps_.data(), depth_}; }

 private:
  std::vector<Step> steps_;
  std::size_t depth_ = 0;
};

class Validator {
 public:
  Validator(const model::Schema& schema, const ValidateOptions& options,
            std::vector<ValidationError>& errors)
      : schema_(schema),
        options_(options),
        max_errors_(std::max<std::size_t>(1, options.max_errors)),
        errors_(errors) {}

  void object(const json::Value& v, const ObjectSpec& spec) {
    std::uint64_t seen = 0;
    for (const auto& m : v.GetObject()) {
      if (full()) return;
      std::string_view key = json::str(m.name);
      path_.push({key, 0});
      int i = spec.find(key);
      if (i < 0) {
        fail("unexpected field: a v" + schema_.version.str() + " " + std::string(spec.name) +
             " has no such field");
      } else if (seen & (std::uint64_t{1} << i)) {
        fail("duplicate key");
      } else {
        seen |= std::uint64_t{1} << i;
        field(m.value, spec.fields[static_cast<std::size_t>(i)]);
      }
      path_.pop();
    }
    std::uint64_t missing = spec.required_mask() & ~seen;
    for (std::size_t i = 0; missing != 0 && !full(); ++i, missing >>= 1) {
      if (missing & 1) fail("missing required field \"" + std::string(spec.fields[i].name) + "\"");
    }
  }

 private:
  bool full() const { return errors_.size() >= max_errors_; }

  void fail(std::string message) {
    if (full()) return;
    std::string pointer;
    for (const Step& step : path_.steps()) {
      if (step.key.data() != nullptr) {
        json::append_pointer_token(pointer, step.key);
      } else {
        json::append_pointer_index(pointer, step.index);
      }
    }
    errors_.push_back({std::move(pointer), std::move(message)});
  }

  void field(const json::Value& v, const Field& f) {
    if (!f.array) {
      value(v, f.value);
      return;
    }
    if (!v.IsArray()) {
      fail("expected an array of " + plural(f.value) + ", got " + describe(v));
      return;
    }
    std::size_t index = 0;
    for (const json::Value& item : v.GetArray()) {
      if (full()) return;
      path_.push({std::string_view(), index++});
      value(item, f.value);
      path_.pop();
    }
  }

  std::string plural(const ValueType& t) const {
    std::string s = expected_kind(schema_, t);
    return s.substr(s.find(' ') + 1) + "s";
  }

  void type_error(const json::Value& v, const ValueType& t) {
    fail("expected " + expected_kind(schema_, t) + ", got " + describe(v));
  }

  void value(const json::Value& v, const ValueType& t) {
    switch (t.kind) {
      case Kind::kString:
        if (!v.IsString()) return type_error(v, t);
        return string(v, t);
      case Kind::kBoolean:
        if (!v.IsBool()) type_error(v, t);
        return;
      case Kind::kInteger:
        if (!is_integer(v)) return type_error(v, t);
        if (t.non_negative && is_negative(v)) fail("expected an integer >= 0, got " + describe(v));
        return;
      case Kind::kNumber:
        if (!v.IsNumber()) type_error(v, t);
        return;
      case Kind::kFreeObject:
        if (!v.IsObject()) return type_error(v, t);
        return free_form(v);
      case Kind::kObject:
        if (!v.IsObject()) return type_error(v, t);
        return object(v, schema_.object(t.object));
      case Kind::kVersion: return version(v);
    }
  }

  void string(const json::Value& v, const ValueType& t) {
    std::string_view s = json::str(v);
    if (t.max_length != 0 && s.size() > t.max_length && code_points(s) > t.max_length) {
      fail("expected at most " + std::to_string(t.max_length) + " characters, got " +
           std::to_string(code_points(s)));
    }
    if (t.pattern != Pattern::kNone && !matches(t.pattern, s)) {
      fail("expected a string matching " + std::string(pattern_regex(t.pattern)) + ", got " +
           describe(v));
    }
    if (t.format != Format::kNone && options_.check_formats && !matches_format(t.format, s)) {
      fail("expected " + format_description(t.format) + ", got " + describe(v));
    }
    if (t.choice != model::Choice::kNone) {
      auto values = model::choice_values(t.choice);
      if (std::find(values.begin(), values.end(), s) == values.end()) {
        std::string message = "expected one of";
        for (std::string_view c : values)
          message += std::string(c == values.front() ? " " : ", ") + '"' + std::string(c) + '"';
        fail(message + ", got " + describe(v));
      }
    }
  }

  static std::string format_description(Format f) {
    switch (f) {
      case Format::kDateTime:
        return "an RFC 3339 date-time with a timezone (e.g. \"2020-08-14T23:08:06.967000+00:00\")";
      case Format::kUri: return "an absolute URI (RFC 3986, e.g. \"https://host/path\")";
      case Format::kEmail: return "an e-mail address (containing \"@\")";
      case Format::kNone: break;
    }
    return "";
  }

  // "misc" holds anything, nulls included; only keys must stay unique, or
  // the data would change meaning when re-read by another JSON library.
  void free_form(const json::Value& v) {
    if (v.IsArray()) {
      std::size_t index = 0;
      for (const json::Value& item : v.GetArray()) {
        path_.push({std::string_view(), index++});
        free_form(item);
        path_.pop();
      }
      return;
    }
    if (!v.IsObject()) return;
    report_duplicate_keys(v);
    for (const auto& m : v.GetObject()) {
      if (full()) return;
      if (m.value.IsObject() || m.value.IsArray()) {
        path_.push({json::str(m.name), 0});
        free_form(m.value);
        path_.pop();
      }
    }
  }

  void report_duplicate_keys(const json::Value& v) {
    const std::size_t n = v.MemberCount();
    if (n < 2) return;
    auto name = [&](std::size_t i) {
      return json::str((v.MemberBegin() + static_cast<std::ptrdiff_t>(i))->name);
    };
    auto report = [&](std::string_view key) {
      path_.push({key, 0});
      fail("duplicate key");
      path_.pop();
    };
    constexpr std::size_t kSmall = 32;  // quadratic is cheaper than sorting here
    if (n <= kSmall) {
      for (std::size_t i = 1; i < n; ++i) {
        for (std::size_t j = 0; j < i; ++j) {
          if (name(i) == name(j)) {
            report(name(i));
            break;
          }
        }
      }
      return;
    }
    std::vector<std::string_view> keys;
    keys.reserve(n);
    for (std::size_t i = 0; i < n; ++i) keys.push_back(name(i));
    std::sort(keys.begin(), keys.end());
    for (std::size_t i = 1; i < n; ++i) {
      if (keys[i] == keys[i - 1] && (i < 2 || keys[i] != keys[i - 2])) report(keys[i]);
    }
  }

  // "version": {"major": M, "minor": 0..N} with nothing else; v1 data may
  // also give it as the string "1" or "1.0".
  void version(const json::Value& v) {
    const Version schema_version = schema_.version;
    const std::string wanted = "{\"major\": " + std::to_string(schema_version.major) +
                               ", \"minor\": 0.." + std::to_string(schema_version.minor) + "}";
    if (schema_version.major == 1 && v.IsString()) {
      if (!matches(Pattern::kVersionStringV1, json::str(v))) {
        fail("expected \"1\", \"1.0\" or " + wanted + ", got " + describe(v));
      }
      return;
    }
    if (!v.IsObject()) {
      fail("expected " + wanted + ", got " + describe(v));
      return;
    }
    bool seen_major = false;
    bool seen_minor = false;
    for (const auto& m : v.GetObject()) {
      std::string_view key = json::str(m.name);
      path_.push({key, 0});
      bool is_major = key == "major";
      if (!is_major && key != "minor") {
        fail("unexpected field: a version has only \"major\" and \"minor\"");
      } else if (is_major ? seen_major : seen_minor) {
        fail("duplicate key");
      } else if (!is_integer(m.value)) {
        (is_major ? seen_major : seen_minor) = true;
        fail("expected an integer, got " + describe(m.value));
      } else {
        (is_major ? seen_major : seen_minor) = true;
        double n = m.value.IsDouble()  ? m.value.GetDouble()
                   : m.value.IsInt64() ? static_cast<double>(m.value.GetInt64())
                                       : static_cast<double>(m.value.GetUint64());
        if (is_major && n != schema_version.major) {
          fail("expected " + std::to_string(schema_version.major) + ", got " + describe(m.value));
        } else if (!is_major && (n < 0 || n > schema_version.minor)) {
          fail("expected an integer from 0 to " + std::to_string(schema_version.minor) + ", got " +
               describe(m.value));
        }
      }
      path_.pop();
    }
    if (!seen_major) fail("missing required field \"major\"");
  }

  const model::Schema& schema_;
  const ValidateOptions& options_;
  const std::size_t max_errors_;  // at least one, or invalid data would pass
  std::vector<ValidationError>& errors_;
  PathStack path_;
};

}  // namespace

ValidationResult validate_report(const json::Value& report, const ValidateOptions& options) {
  ValidationResult result;
  if (!report.IsObject()) {
    result.errors.push_back({"", "expected a report (a JSON object), got " + describe(report)});
    return result;
  }
  // As kcidb-validate MAJOR: versions of newer majors are not candidates,
  // so such a report is checked (and refused) by the newest accepted schema.
  Version newest = latest_version();
  if (options.max_major) {
    std::optional<Version> of_major = latest_of_major(*options.max_major);
    if (of_major) newest = *of_major;
  }
  const Version schema_version = schema_version_of(report, newest);
  result.version = schema_version;
  const model::Schema& schema = model::schema_of(schema_version);
  Validator(schema, options, result.errors)
      .object(report, schema.object(model::ObjectType::kReport));
  return result;
}

}  // namespace kci::report
