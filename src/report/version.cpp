// SPDX-License-Identifier: LGPL-2.1-or-later
#include "report/version.h"

#include <algorithm>
#include <cstdint>

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

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A non-negative JSON integer literal as Python's isinstance(x, int) sees it
// (floats such as 1.0 are not), clamped to int range.
std::optional<int> python_int(const json::Value& v) {
  if (v.IsUint64()) return static_cast<int>(std::min<std::uint64_t>(v.GetUint64(), 1u << 30));
  return std::nullopt;  // negative, float, or not a number
}

// v1's string form, "^([0-9]+)(\.([0-9]+))?$" under re.match: "$" also
// matches before one final newline. The minor defaults to 1.
std::optional<Version> string_version(std::string_view s) {
  if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  std::size_t i = 0;
  auto number = [&](int& out) {
    std::size_t start = i;
    long long n = 0;
    while (i < s.size() && is_digit(s[i])) {
      n = std::min<long long>(n * 10 + (s[i] - '0'), 1 << 30);
      ++i;
    }
    out = static_cast<int>(n);
    return i > start;
  };
  Version v{0, 1};
  if (!number(v.major)) return std::nullopt;
  if (i < s.size()) {
    if (s[i] != '.') return std::nullopt;
    ++i;
    if (!number(v.minor)) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  return v;
}

bool is_known(Version v) {
  for (const Version& known : known_versions()) {
    if (known == v) return true;
  }
  return false;
}

}  // namespace

std::optional<Version> exact_version(const json::Value& report) {
  if (!report.IsObject()) return std::nullopt;
  auto it = report.FindMember("version");
  if (it == report.MemberEnd()) return std::nullopt;
  const json::Value& v = it->value;
  std::optional<Version> named;
  if (v.IsString()) {
    named = string_version(json::str(v));
    // Only v1's schema reads the string form.
    if (named && named->major != 1) named.reset();
  } else if (v.IsObject()) {
    auto major = v.FindMember("major");
    if (major == v.MemberEnd()) return std::nullopt;
    std::optional<int> major_number = python_int(major->value);
    std::optional<int> minor_number = 0;
    auto minor = v.FindMember("minor");
    if (minor != v.MemberEnd()) minor_number = python_int(minor->value);
    if (major_number && minor_number) named = Version{*major_number, *minor_number};
  }
  if (named && is_known(*named)) return named;
  return std::nullopt;
}

Version schema_version_of(const json::Value& report, Version newest) {
  std::optional<Version> exact = exact_version(report);
  if (exact && *exact <= newest) return *exact;
  return newest;
}

}  // namespace kci::report
