// SPDX-License-Identifier: LGPL-2.1-or-later
#include "python_checks.h"

#include <cmath>
#include <regex>
#include <string>
#include <unordered_map>

namespace kci::oracle {

std::string python_pattern_to_ecma(std::string_view pattern) {
  std::string out;
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      out += c;
      out += pattern[++i];
    } else if (in_class) {
      if (c == ']') in_class = false;
      out += c;
    } else if (c == '[') {
      in_class = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal in both dialects.
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
    } else if (c == '$') {
      out += "(?=\\n?$)";
    } else if (c == '.') {
      out += "[^\\n]";
    } else {
      out += c;
    }
  }
  return out;
}

bool python_pattern_search(const std::string& pattern, std::string_view s) {
  // Compiling a std::regex costs far more than matching a short string.
  thread_local std::unordered_map<std::string, std::regex> cache;
  auto it = cache.find(pattern);
  if (it == cache.end()) {
    it = cache.emplace(pattern, std::regex(python_pattern_to_ecma(pattern))).first;
  }
  return std::regex_search(s.begin(), s.end(), it->second);
}

namespace {

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

// Python's `$` (no MULTILINE) also matches before one final "\n".
std::string_view strip_final_newline(std::string_view s) {
  if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  return s;
}

}  // namespace

bool python_is_date_time(std::string_view s) {
  // jsonschema upper-cases first; only 't' and 'z' matter to the grammar.
  std::string upper(s);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  static const std::regex kRfc3339(
      "([0-9]{4})-(0[1-9]|1[0-2])-([0-9]{2})T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
      "(\\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])");
  std::string_view body = strip_final_newline(upper);
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_match(body.begin(), body.end(), m, kRfc3339)) return false;
  int year = std::stoi(m[1].str());
  int month = std::stoi(m[2].str());
  int day = std::stoi(m[3].str());
  if (year == 0) return false;
  return day >= 1 && day <= days_in_month(year, month);
}

namespace {

// RFC 3986 appendix A, with the character sets rfc3987 1.3.8 uses.
std::string uri_regex() {
  const std::string hexdig = "[0-9A-Fa-f]";
  const std::string unreserved = "[a-zA-Z0-9._~-]";
  const std::string pct = "%" + hexdig + hexdig;
  const std::string sub_delims = "[!$&'()*+,;=]";
  const std::string pchar = "(?:" + unreserved + "|" + pct + "|" + sub_delims + "|:|@)";
  const std::string h16 = hexdig + "{1,4}";
  const std::string dec_octet = "(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)";
  const std::string ipv4 = "(?:" + dec_octet + "\\.){3}" + dec_octet;
  const std::string ls32 = "(?:" + h16 + ":" + h16 + "|" + ipv4 + ")";
  auto upto = [&](int n) {
    return "(?:(?:" + h16 + ":){0," + std::to_string(n) + "}" + h16 + ")?";
  };
  const std::string ipv6 = "(?:(?:" + h16 + ":){6}" + ls32 +                  //
                           "|::(?:" + h16 + ":){5}" + ls32 +                  //
                           "|(?:" + h16 + ")?::(?:" + h16 + ":){4}" + ls32 +  //
                           "|" + upto(1) + "::(?:" + h16 + ":){3}" + ls32 +   //
                           "|" + upto(2) + "::(?:" + h16 + ":){2}" + ls32 +   //
                           "|" + upto(3) + "::" + h16 + ":" + ls32 +          //
                           "|" + upto(4) + "::" + ls32 +                      //
                           "|" + upto(5) + "::" + h16 +                       //
                           "|" + upto(6) + "::)";
  const std::string ipvfuture = "v" + hexdig + "+\\.(?:" + unreserved + "|" + sub_delims + "|:)+";
  const std::string ip_literal = "\\[(?:" + ipv6 + "|" + ipvfuture + ")\\]";
  const std::string reg_name = "(?:" + unreserved + "|" + pct + "|" + sub_delims + ")*";
  const std::string userinfo = "(?:" + unreserved + "|" + pct + "|" + sub_delims + "|:)*";
  const std::string host = "(?:" + ip_literal + "|" + ipv4 + "|" + reg_name + ")";
  const std::string authority = "(?:" + userinfo + "@)?" + host + "(?::[0-9]*)?";
  const std::string segment = pchar + "*";
  const std::string segment_nz = pchar + "+";
  const std::string path_abempty = "(?:/" + segment + ")*";
  const std::string path_absolute = "/(?:" + segment_nz + "(?:/" + segment + ")*)?";
  const std::string path_rootless = segment_nz + "(?:/" + segment + ")*";
  const std::string hier_part =
      "(?://" + authority + path_abempty + "|" + path_absolute + "|" + path_rootless + "|)";
  const std::string query = "(?:" + pchar + "|/|\\?)*";
  const std::string scheme = "[a-zA-Z][a-zA-Z0-9+.-]*";
  return scheme + ":" + hier_part + "(?:\\?" + query + ")?(?:#" + query + ")?";
}

}  // namespace

bool python_is_uri(std::string_view s) {
  static const std::regex kUri(uri_regex());
  std::string_view body = strip_final_newline(s);
  return std::regex_match(body.begin(), body.end(), kUri);
}

bool python_is_email(std::string_view s) { return s.find('@') != std::string_view::npos; }

std::uint64_t python_length(std::string_view utf8) {
  std::uint64_t n = 0;
  for (char c : utf8) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

bool python_is_integer(const json::Value& v) {
  if (v.IsInt64() || v.IsUint64()) return true;
  if (!v.IsDouble()) return false;
  double d = v.GetDouble();
  return std::isfinite(d) && d == std::floor(d);
}

int python_compare_number(const json::Value& v, std::int64_t bound) {
  if (v.IsInt64()) {
    std::int64_t x = v.GetInt64();
    return x < bound ? -1 : x > bound ? 1 : 0;
  }
  if (v.IsUint64()) return 1;  // above INT64_MAX, so above any bound
  double x = v.GetDouble();
  double b = static_cast<double>(bound);
  return x < b ? -1 : x > b ? 1 : 0;
}

}  // namespace kci::oracle
