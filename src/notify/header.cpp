// SPDX-License-Identifier: LGPL-2.1-or-later
#include "notify/header.h"

#include <cstdint>
#include <ctime>

#include "util/error.h"

namespace kci::notify {
namespace {

constexpr std::size_t kFoldWidth = 78;
// Raw bytes per encoded word: base64 of 45 bytes is 60 characters, plus
// "=?UTF-8?B?" and "?=" is 72 <= 75 (RFC 2047 section 2).
constexpr std::size_t kWordBytes = 45;

// Length of the well-formed UTF-8 sequence at s[i], or 0.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  std::size_t n;
  std::uint32_t cp;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) return 0;
  if (cp >= 0xd800 && cp <= 0xdfff) return 0;
  return n;
}

std::uint32_t decode_at(std::string_view s, std::size_t i, std::size_t n) {
  auto c = static_cast<unsigned char>(s[i]);
  if (n == 1) return c;
  std::uint32_t cp = c & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
  for (std::size_t k = 1; k < n; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
  return cp;
}

std::string base64(std::string_view data) {
  static const char* const kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v = (static_cast<unsigned char>(data[i]) << 16) |
                      (static_cast<unsigned char>(data[i + 1]) << 8) |
                      static_cast<unsigned char>(data[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < data.size()) {
    std::uint32_t v = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) v |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < data.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool plain_ascii(std::string_view s) {
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f) return false;
  }
  return s.find("=?") == std::string_view::npos;
}

// text (clean UTF-8) as encoded words, each split at a character boundary.
std::vector<std::string> encoded_words(std::string_view text) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = i;
    while (end < text.size()) {
      std::size_t n = utf8_sequence(text, end);
      if (n == 0) n = 1;  // cannot happen on clean text
      if (end + n - i > kWordBytes) break;
      end += n;
    }
    words.push_back("=?UTF-8?B?" + base64(text.substr(i, end - i)) + "?=");
    i = end;
  }
  return words;
}

// "Name:" and the tokens, each after a space; a line that would pass
// kFoldWidth is folded before the space (unfolding gives the value back).
std::string fold(std::string_view name, const std::vector<std::string>& tokens) {
  std::string out(name);
  out += ":";
  std::size_t line = out.size();
  for (std::size_t k = 0; k < tokens.size(); ++k) {
    if (k > 0 && line + 1 + tokens[k].size() > kFoldWidth) {
      out += "\r\n";
      line = 0;
    }
    out += ' ';
    out += tokens[k];
    line += 1 + tokens[k].size();
  }
  return out;
}

std::vector<std::string> split_spaces(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = s.find(' ', i);
    if (j == std::string_view::npos) j = s.size();
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return std::string(s.substr(b, e - b));
}

}  // namespace

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t n = utf8_sequence(text, i);
    if (n == 0) {
      out += "\xef\xbf\xbd";
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string clean_header_text(std::string_view value) {
  std::string utf8 = valid_utf8(value);
  std::string out;
  out.reserve(utf8.size());
  std::size_t i = 0;
  while (i < utf8.size()) {
    std::size_t n = utf8_sequence(utf8, i);
    std::uint32_t cp = decode_at(utf8, i, n);
    // C0, DEL, C1 (NEL among them) and the Unicode line/paragraph
    // separators all become a space.
    bool control = cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029;
    if (control || cp == ' ') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out.append(utf8, i, n);
    }
    i += n;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string unstructured_header(std::string_view name, std::string_view value) {
  std::string clean = clean_header_text(value);
  std::vector<std::string> tokens = split_spaces(clean);
  bool encode = !plain_ascii(clean);
  for (const auto& t : tokens) {
    if (t.size() > 900) encode = true;  // a line can only be folded at spaces
  }
  if (!encode) return fold(name, tokens);
  // Spaces between encoded words are not part of the text, so they travel
  // inside the words; each word then gets a line of its own.
  std::string out(name);
  out += ":";
  for (const auto& w : encoded_words(clean)) {
    if (out.size() > name.size() + 1) out += "\r\n";
    out += ' ';
    out += w;
  }
  return out;
}

bool valid_addr_spec(std::string_view email) {
  if (email.empty() || email.size() > 254) return false;
  std::size_t at = email.find('@');
  if (at == 0 || at == std::string_view::npos || at > 64 || at + 1 == email.size()) return false;
  if (email.find('@', at + 1) != std::string_view::npos) return false;
  for (std::size_t i = 0; i < at; ++i) {
    auto c = static_cast<unsigned char>(email[i]);
    if (c <= 0x20 || c >= 0x7f) return false;
    if (std::string_view("<>()[]\\,;:\"").find(static_cast<char>(c)) != std::string_view::npos)
      return false;
  }
  std::string_view domain = email.substr(at + 1);
  if (domain.front() == '.' || domain.back() == '.' || domain.find("..") != std::string_view::npos)
    return false;
  for (char ch : domain) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

Address parse_address(std::string_view text) {
  Address a;
  std::size_t lt = text.rfind('<');
  if (lt != std::string_view::npos) {
    std::size_t gt = text.find('>', lt);
    if (gt == std::string_view::npos || !trim(text.substr(gt + 1)).empty()) {
      throw InvalidInputError("invalid address \"" + clean_header_text(text) +
                              "\": expected Name <local@domain>");
    }
    std::string name = trim(text.substr(0, lt));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      std::string unq;
      for (std::size_t i = 1; i + 1 < name.size(); ++i) {
        if (name[i] == '\\' && i + 2 < name.size()) ++i;
        unq += name[i];
      }
      name = unq;
    }
    a.name = clean_header_text(name);
    a.email = std::string(text.substr(lt + 1, gt - lt - 1));
  } else {
    a.email = trim(text);
  }
  if (!valid_addr_spec(a.email)) {
    throw InvalidInputError("invalid address \"" + clean_header_text(text) +
                            "\": not a plain local@domain address");
  }
  return a;
}

namespace {

// An address as the tokens fold() may put on separate lines: the name (one
// quoted string, or its encoded words each a token) and "<email>". A long
// name must not make one unfoldable line past RFC 5322's 998 bytes (found
// by the mail fuzz target: 200 bytes of invalid UTF-8 in a name became 800
// bytes of encoded words in one token), so encoded words are separate
// tokens and a quoted name longer than kMaxQuotedName is encoded instead.
constexpr std::size_t kMaxQuotedName = 600;

std::vector<std::string> address_tokens(const Address& address) {
  if (!valid_addr_spec(address.email)) {
    throw InvalidInputError("invalid address \"" + clean_header_text(address.email) + "\"");
  }
  std::vector<std::string> tokens;
  std::string name = clean_header_text(address.name);
  if (!name.empty() && plain_ascii(name) && name.size() <= kMaxQuotedName) {
    std::string quoted = "\"";
    for (char c : name) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    tokens.push_back(quoted + '"');
  } else if (!name.empty()) {
    tokens = encoded_words(name);
  }
  tokens.push_back("<" + address.email + ">");
  if (tokens.size() == 1) tokens[0] = address.email;
  return tokens;
}

}  // namespace

std::string format_address(const Address& address) {
  std::string out;
  for (const std::string& t : address_tokens(address)) out += (out.empty() ? "" : " ") + t;
  return out;
}

std::string address_header(std::string_view name, const std::vector<Address>& addresses) {
  std::vector<std::string> tokens;
  for (std::size_t k = 0; k < addresses.size(); ++k) {
    std::vector<std::string> a = address_tokens(addresses[k]);
    if (k + 1 < addresses.size()) a.back() += ",";
    tokens.insert(tokens.end(), a.begin(), a.end());
  }
  return fold(name, tokens);
}

bool valid_message_id(std::string_view id) {
  if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
  if (id.empty() || id.size() > 900) return false;
  std::size_t at = id.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == id.size()) return false;
  if (id.find('@', at + 1) != std::string_view::npos) return false;
  for (char ch : id) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"' || c == '\\') return false;
  }
  return true;
}

std::string bracket_message_id(std::string_view id) {
  if (!valid_message_id(id)) {
    throw InvalidInputError("invalid Message-ID \"" + clean_header_text(id) + "\"");
  }
  if (id.front() == '<') return std::string(id);
  return "<" + std::string(id) + ">";
}

std::string rfc5322_date(long long unix_seconds) {
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

}  // namespace kci::notify
