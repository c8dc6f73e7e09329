// SPDX-License-Identifier: LGPL-2.1-or-later
#include "triage/log_text.h"

namespace kci::triage {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_ident(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// "[   12.345678]" at the start of s: its length, or 0.
std::size_t bracket_timestamp(std::string_view s) {
  if (s.empty() || s[0] != '[') return 0;
  std::size_t i = 1;
  while (i < s.size() && s[i] == ' ') ++i;
  std::size_t digits = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == digits || i >= s.size() || s[i] != '.') return 0;
  ++i;
  std::size_t frac = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == frac || i >= s.size() || s[i] != ']') return 0;
  return i + 1;
}

// "[T123]" or "[  C1]" at the start of s: its length, or 0; id gets "T123".
std::size_t bracket_caller(std::string_view s, std::string_view* id) {
  if (s.empty() || s[0] != '[') return 0;
  std::size_t i = 1;
  while (i < s.size() && s[i] == ' ') ++i;
  if (i >= s.size() || (s[i] != 'T' && s[i] != 'C')) return 0;
  std::size_t start = i++;
  std::size_t digits = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == digits || i >= s.size() || s[i] != ']') return 0;
  if (id) *id = s.substr(start, i - start);
  return i + 1;
}

// The length of "+0x12/0x34" at the start of s, or 0.
std::size_t offset_suffix(std::string_view s) {
  if (s.size() < 4 || s[0] != '+' || s[1] != '0' || s[2] != 'x') return 0;
  std::size_t i = 3;
  while (i < s.size() && is_hex(s[i])) ++i;
  if (i == 3) return 0;
  if (i + 2 < s.size() && s[i] == '/' && s[i + 1] == '0' && s[i + 2] == 'x') {
    std::size_t j = i + 3;
    while (j < s.size() && is_hex(s[j])) ++j;
    if (j > i + 3) i = j;
  }
  return i;
}

// If s starts with "name+0x..", the name.
std::optional<std::string_view> frame_at(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && (is_ident(s[i]) || s[i] == '.')) ++i;
  if (i == 0 || offset_suffix(s.substr(i)) == 0) return std::nullopt;
  return clean_function(s.substr(0, i));
}

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && (s[0] == ' ' || s[0] == '\t')) s.remove_prefix(1);
  return s;
}

}  // namespace

std::string_view strip_printk_prefix(std::string_view line, std::string_view* caller) {
  if (caller) *caller = {};
  // syslog level "<4>"
  if (line.size() >= 3 && line[0] == '<' && is_digit(line[1]) && line[2] == '>') {
    line.remove_prefix(3);
  }
  std::size_t n = bracket_timestamp(line);
  if (n == 0) return line;
  line.remove_prefix(n);
  std::size_t c = bracket_caller(line, caller);
  if (c == 0 && line.size() > 1 && line[0] == ' ') {
    c = bracket_caller(line.substr(1), caller);
    if (c) ++c;
  }
  line.remove_prefix(c);
  if (!line.empty() && line[0] == ' ') line.remove_prefix(1);
  return line;
}

std::string_view clean_function(std::string_view name) {
  std::size_t dot = name.find('.');
  if (dot != std::string_view::npos && dot > 0) name = name.substr(0, dot);
  return name;
}

std::optional<std::string_view> parse_frame(std::string_view content, bool* is_ip) {
  if (is_ip) *is_ip = false;
  std::string_view s = trim_left(content);
  if (s.empty()) return std::nullopt;
  if (starts_with(s, "RIP: ")) {
    // "RIP: 0010:func+0x12/0x34"; "RIP: 0033:0x7f..." is user space.
    std::size_t colon = s.find(':', 5);
    if (colon == std::string_view::npos) return std::nullopt;
    auto f = frame_at(s.substr(colon + 1));
    if (f && is_ip) *is_ip = true;
    return f;
  }
  if (starts_with(s, "pc : ") || starts_with(s, "PC is at ")) {
    auto f = frame_at(s.substr(s[1] == 'c' ? 5 : 9));
    if (f && is_ip) *is_ip = true;
    return f;
  }
  if (s[0] == '[' && s.size() > 2 && s[1] == '<') {
    // "[<ffffffff81000000>] func+0x12/0x34"
    std::size_t close = s.find(">]");
    if (close == std::string_view::npos) return std::nullopt;
    s = trim_left(s.substr(close + 2));
    if (starts_with(s, "? ")) return std::nullopt;
  }
  return frame_at(s);
}

std::string normalize_title(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  auto prev_ident = [&out] { return !out.empty() && (is_ident(out.back()) || out.back() == '.'); };
  while (i < text.size()) {
    char c = text[i];
    unsigned char uc = static_cast<unsigned char>(c);
    if (uc < 0x20 || uc >= 0x7f) {
      if (c == '\t')
        c = ' ';
      else {
        ++i;
        continue;
      }
    }
    if (c == '+') {
      std::size_t n = offset_suffix(text.substr(i));
      if (n) {
        i += n;
        continue;
      }
    }
    if (c == ':' && i + 1 < text.size() && is_digit(text[i + 1]) && prev_ident()) {
      // "file.c:123" -> "file.c:LINE" (also ":123:45")
      std::size_t j = i + 1;
      while (j < text.size() && (is_digit(text[j]) || text[j] == ':')) ++j;
      if (out.find('.') != std::string::npos || out.find('/') != std::string::npos) {
        out += ":LINE";
        i = j;
        if (!out.empty() && text[j - 1] == ':') out += ':';
        continue;
      }
    }
    if (starts_with(text.substr(i), "CPU#") || starts_with(text.substr(i), "cpu#")) {
      std::size_t j = i + 4;
      while (j < text.size() && is_digit(text[j])) ++j;
      out += "CPU";
      i = j;
      continue;
    }
    if (is_hex(c) && !prev_ident()) {
      std::size_t j = i;
      bool hex_prefix =
          c == '0' && i + 1 < text.size() && (text[i + 1] == 'x' || text[i + 1] == 'X');
      if (hex_prefix) j += 2;
      std::size_t digits_start = j;
      bool all_dec = true;
      while (j < text.size() && is_hex(text[j])) {
        all_dec = all_dec && is_digit(text[j]);
        ++j;
      }
      bool ends_word = j >= text.size() || !is_ident(text[j]);
      std::size_t len = j - digits_start;
      if (ends_word && hex_prefix && len > 0) {
        out += "ADDR";
        i = j;
        continue;
      }
      if (ends_word && !hex_prefix && len >= 6 && !all_dec) {
        out += "ADDR";
        i = j;
        continue;
      }
      if (ends_word && all_dec && len > 0 && !hex_prefix) {
        out += (len >= 8 ? "ADDR" : "NUM");
        i = j;
        continue;
      }
      if (all_dec && !hex_prefix && len > 0 && j < text.size()) {
        // "22s", "100ms": a number with a unit.
        std::size_t k = j;
        while (k < text.size() && k - j < 3 && text[k] >= 'a' && text[k] <= 'z') ++k;
        if (k > j && k - j <= 2 && (k >= text.size() || !is_ident(text[k]))) {
          out += "NUM";
          out.append(text.substr(j, k - j));
          i = k;
          continue;
        }
      }
      // A word that merely starts with hex letters ("deadlock"): copy it.
      while (i < text.size() && (is_ident(text[i]))) out += text[i++];
      continue;
    }
    if (c == ' ' && (out.empty() || out.back() == ' ')) {
      ++i;
      continue;
    }
    out += c;
    ++i;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.size() > 120) {
    out.resize(120);
    while (!out.empty() && out.back() == ' ') out.pop_back();
  }
  return out;
}

std::string sanitize_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    // A run of printable ASCII (nearly every byte of a log) in one append.
    std::size_t run = i;
    while (run < text.size()) {
      unsigned char r = static_cast<unsigned char>(text[run]);
      if (!((r >= 0x20 && r < 0x7f) || r == '\t')) break;
      ++run;
    }
    if (run > i) {
      out.append(text.data() + i, run - i);
      i = run;
      continue;
    }
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out += (c < 0x20 && c != '\t') || c == 0x7f ? '?' : static_cast<char>(c);
      ++i;
      continue;
    }
    std::size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
    if (c >= 0xf5) len = 0;
    bool ok = len > 0 && i + len <= text.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
    }
    if (ok && len >= 3) {
      unsigned char c1 = static_cast<unsigned char>(text[i + 1]);
      if (c == 0xe0 && c1 < 0xa0) ok = false;   // overlong
      if (c == 0xed && c1 >= 0xa0) ok = false;  // surrogates
      if (c == 0xf0 && c1 < 0x90) ok = false;   // overlong
      if (c == 0xf4 && c1 >= 0x90) ok = false;  // > U+10FFFF
    }
    if (!ok) {
      out += '?';
      ++i;
      continue;
    }
    out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

bool append_excerpt_line(std::string& excerpt, std::string_view line, std::size_t max) {
  std::string clean = sanitize_text(line);
  if (excerpt.size() + clean.size() + 1 > max) return false;
  excerpt += clean;
  excerpt += '\n';
  return true;
}

}  // namespace kci::triage
