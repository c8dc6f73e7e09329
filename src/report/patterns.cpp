// SPDX-License-Identifier: LGPL-2.1-or-later
#include "report/patterns.h"

#include <array>
#include <cstdint>

namespace kci::report {

namespace {

// Character classes of the patterns, one bit each, looked up in a table:
// the matchers run on every ID and name of a report.
enum : std::uint8_t { kWord = 1, kLowerHex = 2, kPathChar = 4, kDottedPathChar = 8 };

constexpr std::array<std::uint8_t, 256> kClasses = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] |= kWord | kPathChar | kDottedPathChar;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] |= kPathChar | kDottedPathChar;
  for (int c = '0'; c <= '9'; ++c) t[c] |= kWord | kLowerHex | kPathChar | kDottedPathChar;
  for (int c = 'a'; c <= 'f'; ++c) t[c] |= kLowerHex;
  t['_'] |= kWord | kPathChar | kDottedPathChar;
  t['-'] |= kPathChar | kDottedPathChar;
  t['.'] |= kDottedPathChar;
  return t;
}();

bool in(char c, std::uint8_t classes) {
  return (kClasses[static_cast<unsigned char>(c)] & classes) != 0;
}

bool all_in(std::string_view s, std::uint8_t classes) {
  for (char c : s) {
    if (!in(c, classes)) return false;
  }
  return true;
}

bool has(std::string_view s, char c) { return s.find(c) != std::string_view::npos; }

// Python's "$" (without re.MULTILINE) matches at the end and just before a
// final "\n". For a pattern whose tail cannot consume "\n" this is the same
// as matching the string without that one final newline.
std::string_view without_final_newline(std::string_view s) {
  if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  return s;
}

bool is_lower_hex_of_length(std::string_view s, std::size_t n) {
  return s.size() == n && all_in(s, kLowerHex);
}

// Length of the leading [a-z0-9_]+ followed by ':', or 0 if there is none.
std::size_t origin_prefix_length(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && in(s[i], kWord)) ++i;
  if (i == 0 || i == s.size() || s[i] != ':') return 0;
  return i + 1;
}

// "^(alternatives)://.*$": "." matches anything but "\n".
bool url_with_scheme(std::string_view s, std::initializer_list<std::string_view> schemes) {
  s = without_final_newline(s);
  for (std::string_view scheme : schemes) {
    if (s.size() >= scheme.size() + 3 && s.substr(0, scheme.size()) == scheme &&
        s.substr(scheme.size(), 3) == "://") {
      return !has(s.substr(scheme.size() + 3), '\n');
    }
  }
  return false;
}

bool dotted_path(std::string_view s) {
  s = without_final_newline(s);
  if (s.empty()) return true;
  std::size_t segment = 0;
  for (char c : s) {
    if (c == '.') {
      if (segment == 0) return false;
      segment = 0;
    } else if (in(c, kPathChar)) {
      ++segment;
    } else {
      return false;
    }
  }
  return segment != 0;
}

}  // namespace

bool matches(Pattern p, std::string_view s) {
  switch (p) {
    case Pattern::kNone: return true;
    case Pattern::kWordOrEmpty: return all_in(without_final_newline(s), kWord);
    case Pattern::kOrigin: {
      std::string_view t = without_final_newline(s);
      return !t.empty() && all_in(t, kWord);
    }
    case Pattern::kIdPrefixV2: return origin_prefix_length(s) != 0;
    case Pattern::kIdV3: {
      std::size_t n = origin_prefix_length(s);
      return n != 0 && !has(without_final_newline(s.substr(n)), '\n');
    }
    case Pattern::kIdV5: {
      std::size_t n = origin_prefix_length(s);
      return n != 0 && !has(s.substr(n), '\0');
    }
    case Pattern::kRevisionIdV3: {
      std::string_view t = without_final_newline(s);
      if (t.size() == 40) return is_lower_hex_of_length(t, 40);
      return t.size() == 105 && is_lower_hex_of_length(t.substr(0, 40), 40) && t[40] == '+' &&
             is_lower_hex_of_length(t.substr(41), 64);
    }
    case Pattern::kCommitHash: return is_lower_hex_of_length(without_final_newline(s), 40);
    case Pattern::kPatchsetHash: {
      std::string_view t = without_final_newline(s);
      return t.empty() || is_lower_hex_of_length(t, 64);
    }
    case Pattern::kGitUrlV3: return url_with_scheme(s, {"https", "git"});
    case Pattern::kGitUrlV5: return s.substr(0, 8) == "https://" && !has(s, '\0');
    // The classes below match "\n" themselves, so the final-newline rule
    // changes nothing for them.
    case Pattern::kResourceNameV2: return !s.empty() && !has(s, '/');
    case Pattern::kResourceNameV5: return !s.empty() && !has(s, '/') && !has(s, '\0');
    case Pattern::kTestPathV1: return all_in(without_final_newline(s), kDottedPathChar);
    case Pattern::kPath: return dotted_path(s);
    // "[^ ]" also matches ",", so "[^ ]+(,[^ ]+)*" is any non-empty string
    // without a space.
    case Pattern::kCompatibleV4: return !s.empty() && !has(s, ' ');
    case Pattern::kCompatibleV5: return !s.empty() && !has(s, ' ') && !has(s, '\0');
    case Pattern::kNoNul: return !has(s, '\0');
    case Pattern::kVersionStringV1: {
      std::string_view t = without_final_newline(s);
      return t == "1" || t == "1.0";
    }
  }
  return false;
}

std::string_view pattern_regex(Pattern p) {
  switch (p) {
    case Pattern::kNone: return "";
    case Pattern::kWordOrEmpty: return "^[a-z0-9_]*$";
    case Pattern::kOrigin: return "^[a-z0-9_]+$";
    case Pattern::kIdPrefixV2: return "^[a-z0-9_]+:";
    case Pattern::kIdV3: return "^[a-z0-9_]+:.*$";
    case Pattern::kIdV5: return "^[a-z0-9_]+:[^\\0]*$";
    case Pattern::kRevisionIdV3: return "^[0-9a-f]{40}(\\+[0-9a-f]{64})?$";
    case Pattern::kCommitHash: return "^[0-9a-f]{40}$";
    case Pattern::kPatchsetHash: return "^$|^[0-9a-f]{64}$";
    case Pattern::kGitUrlV3: return "^(https|git)://.*$";
    case Pattern::kGitUrlV5: return "^https://[^\\0]*$";
    case Pattern::kResourceNameV2: return "^[^/]+$";
    case Pattern::kResourceNameV5: return "^[^/\\0]+$";
    case Pattern::kTestPathV1: return "^[.a-zA-Z0-9_-]*$";
    case Pattern::kPath: return "^([a-zA-Z0-9_-]+(\\.[a-zA-Z0-9_-]+)*)?$";
    case Pattern::kCompatibleV4: return "^[^ ]+(,[^ ]+)*$";
    case Pattern::kCompatibleV5: return "^[^ \\0]+(,[^ \\0]+)*$";
    case Pattern::kNoNul: return "^[^\\0]*$";
    case Pattern::kVersionStringV1: return "^1(\\.0)?$";
  }
  return "";
}

}  // namespace kci::report
