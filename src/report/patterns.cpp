// SPDX-License-Identifier: LGPL-2.1-or-later
#include "report/patterns.h"

#include <algorithm>

namespace kci::report {

namespace {

bool is_word(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }
bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool is_path_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool all_of(std::string_view s, bool (*pred)(char)) { return std::all_of(s.begin(), s.end(), pred); }
bool has(std::string_view s, char c) { return s.find(c) != std::string_view::npos; }

// Python's "$" (without re.MULTILINE) matches at the end and just before a
// final "\n". For a pattern whose tail cannot consume "\n" this is the same
// as matching the string without that one final newline.
std::string_view without_final_newline(std::string_view s) {
  if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  return s;
}

bool is_lower_hex_of_length(std::string_view s, std::size_t n) {
  return s.size() == n && all_of(s, is_lower_hex);
}

// Length of the leading [a-z0-9_]+ followed by ':', or 0 if there is none.
std::size_t origin_prefix_length(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && is_word(s[i])) ++i;
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
    } else if (is_path_char(c)) {
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
    case Pattern::kNone:
      return true;
    case Pattern::kWordOrEmpty:
      return all_of(without_final_newline(s), is_word);
    case Pattern::kOrigin: {
      std::string_view t = without_final_newline(s);
      return !t.empty() && all_of(t, is_word);
    }
    case Pattern::kIdPrefixV2:
      return origin_prefix_length(s) != 0;
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
    case Pattern::kCommitHash:
      return is_lower_hex_of_length(without_final_newline(s), 40);
    case Pattern::kPatchsetHash: {
      std::string_view t = without_final_newline(s);
      return t.empty() || is_lower_hex_of_length(t, 64);
    }
    case Pattern::kGitUrlV3:
      return url_with_scheme(s, {"https", "git"});
    case Pattern::kGitUrlV5:
      return s.substr(0, 8) == "https://" && !has(s, '\0');
    // The classes below match "\n" themselves, so the final-newline rule
    // changes nothing for them.
    case Pattern::kResourceNameV2:
      return !s.empty() && !has(s, '/');
    case Pattern::kResourceNameV5:
      return !s.empty() && !has(s, '/') && !has(s, '\0');
    case Pattern::kTestPathV1:
      return all_of(without_final_newline(s),
                    [](char c) { return c == '.' || is_path_char(c); });
    case Pattern::kPath:
      return dotted_path(s);
    // "[^ ]" also matches ",", so "[^ ]+(,[^ ]+)*" is any non-empty string
    // without a space.
    case Pattern::kCompatibleV4:
      return !s.empty() && !has(s, ' ');
    case Pattern::kCompatibleV5:
      return !s.empty() && !has(s, ' ') && !has(s, '\0');
    case Pattern::kNoNul:
      return !has(s, '\0');
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
