// SPDX-License-Identifier: LGPL-2.1-or-later
#include "report/formats.h"

#include <array>

#include "util/time.h"

namespace kci::report {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::string_view without_final_newline(std::string_view s) {
  if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  return s;
}

// RFC 3986 character classes, one bit each, looked up in a table: URLs are
// the longest checked strings of a typical report.
enum : std::uint8_t {
  kUnreserved = 1,
  kSubDelim = 2,
  kColon = 4,
  kAt = 8,
  kSlash = 16,
  kQuestion = 32
};

constexpr std::array<std::uint8_t, 256> kUriClasses = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kUnreserved;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kUnreserved;
  for (int c = '0'; c <= '9'; ++c) t[c] = kUnreserved;
  for (char c : std::string_view("-._~")) t[static_cast<unsigned char>(c)] = kUnreserved;
  for (char c : std::string_view("!$&'()*+,;=")) t[static_cast<unsigned char>(c)] = kSubDelim;
  t[':'] = kColon;
  t['@'] = kAt;
  t['/'] = kSlash;
  t['?'] = kQuestion;
  return t;
}();

bool is_unreserved(char c) { return kUriClasses[static_cast<unsigned char>(c)] & kUnreserved; }
bool is_sub_delim(char c) { return kUriClasses[static_cast<unsigned char>(c)] & kSubDelim; }

// True if s is *( unreserved / pct-encoded / sub-delims / the extra classes ).
bool all_uri_chars(std::string_view s, std::uint8_t extra) {
  const std::uint8_t allowed = kUnreserved | kSubDelim | extra;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (kUriClasses[static_cast<unsigned char>(c)] & allowed) continue;
    if (c != '%' || i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) return false;
    i += 2;
  }
  return true;
}

bool is_dec_octet(std::string_view s) {
  if (s.empty() || s.size() > 3) return false;
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  // "[01]?[0-9][0-9]?" allows leading zeros; three digits starting with 2
  // must be 200-255.
  if (s.size() == 3 && s[0] != '0' && s[0] != '1') {
    int v = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
    return v <= 255;
  }
  return true;
}

bool is_ipv4(std::string_view s) {
  for (int i = 0; i < 3; ++i) {
    std::size_t dot = s.find('.');
    if (dot == std::string_view::npos || !is_dec_octet(s.substr(0, dot))) return false;
    s.remove_prefix(dot + 1);
  }
  return is_dec_octet(s);
}

bool is_h16(std::string_view s) {
  if (s.empty() || s.size() > 4) return false;
  for (char c : s) {
    if (!is_hex(c)) return false;
  }
  return true;
}

// Counts the 16-bit groups of a ':'-separated list; an IPv4 address may be
// the last element (two groups) when allow_ipv4. -1 if malformed.
int ipv6_groups(std::string_view s, bool allow_ipv4) {
  if (s.empty()) return 0;
  int groups = 0;
  while (true) {
    std::size_t colon = s.find(':');
    std::string_view part = s.substr(0, colon);
    if (colon == std::string_view::npos) {
      if (is_h16(part)) return groups + 1;
      if (allow_ipv4 && is_ipv4(part)) return groups + 2;
      return -1;
    }
    if (!is_h16(part)) return -1;
    ++groups;
    s.remove_prefix(colon + 1);
  }
}

bool is_ipv6(std::string_view s) {
  std::size_t gap = s.find("::");
  if (gap == std::string_view::npos) return ipv6_groups(s, true) == 8;
  std::string_view left = s.substr(0, gap);
  std::string_view right = s.substr(gap + 2);
  if (right.find("::") != std::string_view::npos) return false;
  // "::" stands for at least one group; an IPv4 tail is only allowed where
  // it can be the final 32 bits (right after "::" or after groups on the right).
  int l = ipv6_groups(left, false);
  int r = ipv6_groups(right, true);
  return l >= 0 && r >= 0 && l + r <= 7;
}

bool is_ip_literal(std::string_view s) {
  if (s.size() >= 2 && s[0] == 'v') {
    std::size_t dot = s.find('.');
    if (dot != std::string_view::npos && dot > 1) {
      for (std::size_t i = 1; i < dot; ++i) {
        if (!is_hex(s[i])) return false;
      }
      std::string_view rest = s.substr(dot + 1);
      if (rest.empty()) return false;
      for (char c : rest) {
        if (!is_unreserved(c) && !is_sub_delim(c) && c != ':') return false;
      }
      return true;
    }
  }
  return is_ipv6(s);
}

bool is_port(std::string_view s) {
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

// authority = [ userinfo "@" ] host [ ":" port ]
bool is_authority(std::string_view s) {
  std::size_t at = s.find('@');
  if (at != std::string_view::npos) {
    if (!all_uri_chars(s.substr(0, at), kColon)) return false;
    s.remove_prefix(at + 1);
  }
  if (!s.empty() && s[0] == '[') {
    std::size_t close = s.find(']');
    if (close == std::string_view::npos || !is_ip_literal(s.substr(1, close - 1))) return false;
    s.remove_prefix(close + 1);
    return s.empty() || (s[0] == ':' && is_port(s.substr(1)));
  }
  std::size_t colon = s.find(':');
  if (!all_uri_chars(s.substr(0, colon), 0)) return false;
  return colon == std::string_view::npos || is_port(s.substr(colon + 1));
}

}  // namespace

bool is_date_time(std::string_view s) {
  // util/time.h's strict parser, less what rfc3339-validator refuses on top:
  // the space separator (RFC 3339 allows it, kcidb-io does not).
  s = without_final_newline(s);
  if (s.size() > 10 && s[10] == ' ') return false;
  return parse_rfc3339_micros(s).has_value();
}

bool is_uri(std::string_view s) {
  // URI = scheme ":" hier-part [ "?" query ] [ "#" fragment ]
  s = without_final_newline(s);
  if (s.empty() || !is_alpha(s[0])) return false;
  std::size_t colon = 1;
  while (colon < s.size() && (is_alpha(s[colon]) || is_digit(s[colon]) || s[colon] == '+' ||
                              s[colon] == '-' || s[colon] == '.')) {
    ++colon;
  }
  if (colon == s.size() || s[colon] != ':') return false;
  std::string_view rest = s.substr(colon + 1);
  std::size_t hash = rest.find('#');
  if (hash != std::string_view::npos) {
    if (!all_uri_chars(rest.substr(hash + 1), kColon | kAt | kSlash | kQuestion)) return false;
    rest = rest.substr(0, hash);
  }
  std::size_t question = rest.find('?');
  if (question != std::string_view::npos) {
    if (!all_uri_chars(rest.substr(question + 1), kColon | kAt | kSlash | kQuestion)) return false;
    rest = rest.substr(0, question);
  }
  // hier-part: "//" authority path-abempty, or a path (absolute, rootless
  // or empty), which can never start with "//".
  if (rest.substr(0, 2) == "//") {
    rest.remove_prefix(2);
    std::size_t slash = rest.find('/');
    if (!is_authority(rest.substr(0, slash))) return false;
    if (slash == std::string_view::npos) return true;
    rest.remove_prefix(slash);
  }
  return all_uri_chars(rest, kColon | kAt | kSlash);
}

bool is_email(std::string_view s) { return s.find('@') != std::string_view::npos; }

bool matches_format(Format f, std::string_view s) {
  switch (f) {
    case Format::kNone: return true;
    case Format::kDateTime: return is_date_time(s);
    case Format::kUri: return is_uri(s);
    case Format::kEmail: return is_email(s);
  }
  return true;
}

std::string_view format_name(Format f) {
  switch (f) {
    case Format::kNone: return "";
    case Format::kDateTime: return "date-time";
    case Format::kUri: return "uri";
    case Format::kEmail: return "email";
  }
  return "";
}

}  // namespace kci::report
