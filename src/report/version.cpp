// SPDX-License-Identifier: LGPL-2.1-or-later
#include "report/version.h"

#include <cmath>

#include "report/patterns.h"

namespace kci::report {

std::string Version::str() const { return std::to_string(major) + "." + std::to_string(minor); }

const std::vector<Version>& known_versions() {
  static const std::vector<Version> versions = {
      {1, 1}, {2, 0}, {3, 0}, {4, 0}, {4, 1}, {4, 2}, {4, 3},
      {4, 4}, {4, 5}, {5, 0}, {5, 1}, {5, 2}, {5, 3},
  };
  return versions;
}

std::optional<Version> latest_of_major(int major) {
  std::optional<Version> found;
  for (const Version& v : known_versions()) {
    if (v.major == major) found = v;
  }
  return found;
}

namespace {

// JSON Schema's idea of an integer: a number with no fractional part
// (so 1.0 counts, as it does for kcidb-io's jsonschema).
std::optional<long long> as_integer(const json::Value& v) {
  if (v.IsInt64()) return v.GetInt64();
  if (v.IsUint64()) return std::nullopt;  // too big to be a version
  if (v.IsDouble()) {
    double d = v.GetDouble();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) {
      return static_cast<long long>(d);
    }
  }
  return std::nullopt;
}

}  // namespace

Version declared_version(const json::Value& report) {
  if (!report.IsObject()) throw VersionError("/: a report must be a JSON object");
  auto it = report.FindMember("version");
  if (it == report.MemberEnd()) throw VersionError("/version: missing (required)");
  const json::Value& v = it->value;
  if (v.IsString()) {
    // As kcidb-io's v1 schema has it: "^1(\.0)?$", Python's "$" included.
    if (matches(Pattern::kVersionStringV1, json::str(v))) return {1, 0};
    throw VersionError("/version: unknown version string " + json::write(v) +
                       " (only v1 reports may give it as a string: \"1\" or \"1.0\")");
  }
  if (!v.IsObject()) throw VersionError("/version: expected an object {major, minor}");
  auto major_it = v.FindMember("major");
  if (major_it == v.MemberEnd()) throw VersionError("/version/major: missing (required)");
  std::optional<long long> major = as_integer(major_it->value);
  if (!major) throw VersionError("/version/major: expected an integer");
  long long minor = 0;
  auto minor_it = v.FindMember("minor");
  if (minor_it != v.MemberEnd()) {
    std::optional<long long> m = as_integer(minor_it->value);
    if (!m) throw VersionError("/version/minor: expected an integer");
    minor = *m;
  }
  if (*major < 1 || *major > 1000 || minor < 0 || minor > 1000) {
    throw VersionError("/version: unknown version " + std::to_string(*major) + "." +
                       std::to_string(minor));
  }
  return {static_cast<int>(*major), static_cast<int>(minor)};
}

Version schema_version_for(Version declared) {
  for (const Version& v : known_versions()) {
    if (v.major == declared.major && v.minor >= declared.minor) return v;
  }
  throw VersionError("/version: unknown version " + declared.str() + " (kci knows 1.0 to " +
                     latest_version().str() + ")");
}

}  // namespace kci::report
