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

// The known version a report's "version" names exactly, read as kcidb-io's
// _get_version() does: an object {major, minor} of JSON integers (a missing
// minor is 0; 1.0 is not an integer here), or for v1 only a string matching
// "^([0-9]+)(\.([0-9]+))?$" whose missing minor reads as 1 ("1" is v1.1,
// "1.0" is v1.0, which no schema has). nullopt when it names no known
// version.
std::optional<Version> exact_version(const json::Value& report);

// The version whose schema a report is checked against, as kcidb-io's
// Version.validate() picks it: the exactly named version when it is known
// and no newer than `newest`, otherwise `newest` itself, whose schema then
// says what is wrong with /version.
Version schema_version_of(const json::Value& report, Version newest = latest_version());

}  // namespace kci::report
