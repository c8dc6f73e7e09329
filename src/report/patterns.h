// SPDX-License-Identifier: LGPL-2.1-or-later
// The string patterns of the KCIDB I/O schemas, each hand-written as a small
// matcher that behaves like Python's re.search() on the schema's regular
// expression (kcidb-io validates with Python's jsonschema). std::regex is
// both too slow and different: in Python "$" also matches before one final
// "\n", so "abc\n" passes "^[a-z0-9_]+$", and "." does not match "\n".
#pragma once

#include <cstdint>
#include <string_view>

namespace kci::report {

enum class Pattern : std::uint8_t {
  kNone,
  kWordOrEmpty,      // ^[a-z0-9_]*$ (v1 origins, build architecture)
  kOrigin,           // ^[a-z0-9_]+$
  kIdPrefixV2,       // ^[a-z0-9_]+:          (v2 IDs: a prefix only)
  kIdV3,             // ^[a-z0-9_]+:.*$       (v3..v4 IDs)
  kIdV5,             // ^[a-z0-9_]+:[^\0]*$   (v5 IDs)
  kRevisionIdV3,     // ^[0-9a-f]{40}(\+[0-9a-f]{64})?$
  kCommitHash,       // ^[0-9a-f]{40}$
  kPatchsetHash,     // ^$|^[0-9a-f]{64}$
  kGitUrlV3,         // ^(https|git)://.*$
  kGitUrlV5,         // ^https://[^\0]*$
  kResourceNameV2,   // ^[^/]+$
  kResourceNameV5,   // ^[^/\0]+$
  kTestPathV1,       // ^[.a-zA-Z0-9_-]*$
  kPath,             // ^([a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*)?$
  kCompatibleV4,     // ^[^ ]+(,[^ ]+)*$
  kCompatibleV5,     // ^[^ \0]+(,[^ \0]+)*$
  kNoNul,            // ^[^\0]*$
  kVersionStringV1,  // ^1(\.0)?$
};

// True if s matches pattern p the way Python's re.search() does.
bool matches(Pattern p, std::string_view s);

// The regular expression of p, as written in the JSON Schema (ECMA 262 and
// Python syntax; "\0" is the NUL character).
std::string_view pattern_regex(Pattern p);

}  // namespace kci::report
