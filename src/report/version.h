// SPDX-License-Identifier: LGPL-2.1-or-later
// KCIDB I/O schema versions, v1.1 .. v5.3.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/json.h"
#include "util/error.h"

namespace kci::report {

struct Version {
  int major = 0;
  int minor = 0;
  auto operator<=>(const Version&) const = default;
  std::string str() const;  // "5.3"
};

// Every schema version kci knows, oldest first: 1.1 (covering 1.0), 2.0,
// 3.0, 4.0 .. 4.5, 5.0 .. 5.3.
const std::vector<Version>& known_versions();
inline Version latest_version() { return known_versions().back(); }
// The newest known version of a major (e.g. 4 -> 4.5); nullopt if unknown.
std::optional<Version> latest_of_major(int major);

// A report whose "version" cannot be understood: the message says why.
class VersionError : public InvalidInputError {
 public:
  using InvalidInputError::InvalidInputError;
};

// The version a report declares, as kcidb-io reads it: v1 data may say "1",
// "1.0" or {major:1, minor:N}; later data {major:M[, minor:N]} (a missing
// minor is 0). Throws VersionError for a missing or unknown version, naming
// the JSON pointer (/version).
Version declared_version(const json::Value& report);

// The schema version that validates data declaring `declared`: the known
// version with the same major whose minor is >= the declared one (v1.0 ->
// v1.1). Throws VersionError when no known version accepts it.
Version schema_version_for(Version declared);

}  // namespace kci::report
