// SPDX-License-Identifier: LGPL-2.1-or-later
#include "inbox/message.h"

#include <cctype>
#include <cstring>
#include <ctime>

namespace kci::inbox {

namespace {

char lower_char(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower_char(a[i]) != lower_char(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// Calls f(name, unfolded value) for each header; returns the body offset.
template <typename F>
std::size_t for_each_header(std::string_view raw, F&& f) {
  std::size_t pos = 0;
  // An mbox "From " line before the headers is not a header.
  if (raw.rfind("From ", 0) == 0) {
    std::size_t nl = raw.find('\n');
    pos = nl == std::string_view::npos ? raw.size() : nl + 1;
  }
  std::string name;
  std::string value;
  bool have = false;
  auto flush = [&]() -> bool {
    if (have) {
      have = false;
      return f(std::string_view(name), std::string_view(value));
    }
    return true;
  };
  bool stop = false;
  while (pos < raw.size()) {
    std::size_t nl = raw.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? raw.size() : nl;
    std::size_t next = nl == std::string_view::npos ? raw.size() : nl + 1;
    std::string_view line = raw.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      if (!stop) flush();
      return next;
    }
    if (line[0] == ' ' || line[0] == '\t') {
      if (have) {
        value += ' ';
        value += trim(line);
      }
    } else {
      if (!stop && !flush()) stop = true;
      std::size_t colon = line.find(':');
      if (colon != std::string_view::npos && !stop) {
        name.assign(trim(line.substr(0, colon)));
        value.assign(trim(line.substr(colon + 1)));
        have = true;
      }
    }
    pos = next;
  }
  if (!stop) flush();
  return raw.size();
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string base64_decode(std::string_view in) {
  std::string out;
  unsigned int buffer = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else
      continue;  // '=' padding and stray bytes
    buffer = (buffer << 6) | static_cast<unsigned int>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

std::string latin1_to_utf8(std::string_view in) {
  std::string out;
  for (char ch : in) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out += ch;
    } else {
      out += static_cast<char>(0xc0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  return out;
}

// Decodes one encoded word starting at s[0] == '='; returns its length in
// s (0 if it is not one) and appends the text to out.
std::size_t decode_word(std::string_view s, std::string& out) {
  if (s.size() < 8 || s[0] != '=' || s[1] != '?') return 0;
  std::size_t q1 = s.find('?', 2);
  if (q1 == std::string_view::npos || q1 + 3 >= s.size() || s[q1 + 2] != '?') return 0;
  std::size_t end = s.find("?=", q1 + 3);
  if (end == std::string_view::npos) return 0;
  std::string charset(s.substr(2, q1 - 2));
  if (std::size_t star = charset.find('*'); star != std::string::npos) charset.resize(star);
  char encoding = lower_char(s[q1 + 1]);
  std::string_view text = s.substr(q1 + 3, end - q1 - 3);
  if (text.find(' ') != std::string_view::npos) return 0;
  std::string bytes;
  if (encoding == 'b') {
    bytes = base64_decode(text);
  } else if (encoding == 'q') {
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '_') {
        bytes += ' ';
      } else if (text[i] == '=' && i + 2 < text.size() + 0 && hex_value(text[i + 1]) >= 0 &&
                 hex_value(text[i + 2]) >= 0) {
        bytes += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
        i += 2;
      } else {
        bytes += text[i];
      }
    }
  } else {
    return 0;
  }
  if (iequals(charset, "iso-8859-1") || iequals(charset, "latin1") ||
      iequals(charset, "iso-8859-15")) {
    out += latin1_to_utf8(bytes);
  } else {
    out += bytes;
  }
  return end + 2;
}

}  // namespace

std::string decode_encoded_words(std::string_view value) {
  if (value.find("=?") == std::string_view::npos) return std::string(value);
  std::string out;
  std::size_t i = 0;
  bool last_was_word = false;
  std::size_t pending_space_start = std::string::npos;
  while (i < value.size()) {
    if (value[i] == '=' && i + 1 < value.size() && value[i + 1] == '?') {
      std::string decoded;
      std::size_t used = decode_word(value.substr(i), decoded);
      if (used > 0) {
        // Whitespace between two encoded words is not part of the text.
        if (last_was_word && pending_space_start != std::string::npos) {
          out.resize(pending_space_start);
        }
        out += decoded;
        i += used;
        last_was_word = true;
        pending_space_start = std::string::npos;
        continue;
      }
    }
    if (value[i] == ' ' || value[i] == '\t') {
      if (pending_space_start == std::string::npos) pending_space_start = out.size();
    } else {
      last_was_word = false;
      pending_space_start = std::string::npos;
    }
    out += value[i];
    ++i;
  }
  return out;
}

std::vector<std::string> parse_msg_ids(std::string_view value) {
  std::vector<std::string> ids;
  std::size_t pos = 0;
  while (true) {
    std::size_t open = value.find('<', pos);
    if (open == std::string_view::npos) break;
    std::size_t close = value.find('>', open + 1);
    if (close == std::string_view::npos) break;
    std::string_view id = trim(value.substr(open + 1, close - open - 1));
    if (!id.empty() && id.find(' ') == std::string_view::npos) ids.emplace_back(id);
    pos = close + 1;
  }
  // A bare id without brackets (seen in broken mailers).
  if (ids.empty()) {
    std::string_view bare = trim(value);
    if (!bare.empty() && bare.find(' ') == std::string_view::npos &&
        bare.find('@') != std::string_view::npos) {
      ids.emplace_back(bare);
    }
  }
  return ids;
}

std::vector<std::string> parse_addresses(std::string_view value) {
  std::vector<std::string> out;
  // Split at commas outside quotes and angle brackets.
  std::size_t start = 0;
  bool quoted = false;
  int angle = 0;
  auto take = [&](std::string_view part) {
    part = trim(part);
    std::string_view addr;
    std::size_t open = part.rfind('<');
    if (open != std::string_view::npos) {
      std::size_t close = part.find('>', open);
      addr = trim(part.substr(
          open + 1, close == std::string_view::npos ? std::string_view::npos : close - open - 1));
    } else {
      // "addr (comment)"
      std::size_t paren = part.find('(');
      addr = trim(part.substr(0, paren));
    }
    if (addr.find('@') == std::string_view::npos) return;
    std::string a(addr);
    for (char& c : a) c = lower_char(c);
    out.push_back(std::move(a));
  };
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '"' && (i == 0 || value[i - 1] != '\\')) quoted = !quoted;
    if (quoted) continue;
    if (c == '<') ++angle;
    if (c == '>' && angle > 0) --angle;
    if (c == ',' && angle == 0) {
      take(value.substr(start, i - start));
      start = i + 1;
    }
  }
  take(value.substr(start));
  return out;
}

std::int64_t parse_date(std::string_view value) {
  // [day-of-week ","] day month year hh:mm[:ss] zone
  std::string text(trim(value));
  if (std::size_t comma = text.find(','); comma != std::string::npos && comma < 10) {
    text.erase(0, comma + 1);
  }
  // Drop a trailing comment "(UTC)".
  if (std::size_t paren = text.find('('); paren != std::string::npos) text.resize(paren);
  char month_name[8] = {};
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0;
  char zone[16] = {};
  int n = std::sscanf(text.c_str(), " %d %3s %d %d:%d:%d %15s", &day, month_name, &year, &hh, &mm,
                      &ss, zone);
  if (n < 6) {
    ss = 0;
    n = std::sscanf(text.c_str(), " %d %3s %d %d:%d %15s", &day, month_name, &year, &hh, &mm, zone);
    if (n < 5) return 0;
  }
  static const char* kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                  "jul", "aug", "sep", "oct", "nov", "dec"};
  int month = -1;
  for (int i = 0; i < 12; ++i) {
    if (iequals(std::string_view(month_name, std::strlen(month_name)), kMonths[i])) month = i;
  }
  if (month < 0 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60) return 0;
  if (year < 50)
    year += 2000;
  else if (year < 1000)
    year += 1900;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month;
  tm.tm_mday = day;
  tm.tm_hour = hh;
  tm.tm_min = mm;
  tm.tm_sec = ss;
  std::int64_t t = ::timegm(&tm);
  std::string_view z(zone, std::strlen(zone));
  if (z.size() == 5 && (z[0] == '+' || z[0] == '-')) {
    int offset =
        ((z[1] - '0') * 10 + (z[2] - '0')) * 3600 + ((z[3] - '0') * 10 + (z[4] - '0')) * 60;
    t += z[0] == '+' ? -offset : offset;
  } else {
    static const struct {
      const char* name;
      int hours;
    } kZones[] = {{"EST", -5}, {"EDT", -4}, {"CST", -6}, {"CDT", -5},
                  {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7}};
    for (const auto& zn : kZones) {
      if (iequals(z, zn.name)) t -= zn.hours * 3600;
    }
  }
  return t;
}

std::string header_value(std::string_view raw, std::string_view name) {
  std::string found;
  bool got = false;
  for_each_header(raw, [&](std::string_view n, std::string_view v) {
    if (!got && iequals(n, name)) {
      found = decode_encoded_words(v);
      got = true;
      return false;
    }
    return true;
  });
  return found;
}

Message parse_message(std::string raw) {
  Message m;
  m.raw = std::move(raw);
  m.body_offset = for_each_header(m.raw, [&](std::string_view name, std::string_view value) {
    if (name.empty()) return true;
    switch (lower_char(name[0])) {
      case 'm':
        if (iequals(name, "message-id") && m.message_id.empty()) {
          std::vector<std::string> ids = parse_msg_ids(value);
          if (!ids.empty()) m.message_id = ids[0];
        }
        break;
      case 's':
        if (iequals(name, "subject") && m.subject.empty()) m.subject = decode_encoded_words(value);
        break;
      case 'f':
        if (iequals(name, "from") && m.from.empty()) m.from = decode_encoded_words(value);
        break;
      case 't':
        if (iequals(name, "to")) {
          if (!m.to.empty()) m.to += ", ";
          m.to += decode_encoded_words(value);
        }
        break;
      case 'c':
        if (iequals(name, "cc")) {
          if (!m.cc.empty()) m.cc += ", ";
          m.cc += decode_encoded_words(value);
        }
        break;
      case 'd':
        if (iequals(name, "date") && m.date == 0) m.date = parse_date(value);
        break;
      case 'i':
        if (iequals(name, "in-reply-to") && m.in_reply_to.empty()) {
          std::vector<std::string> ids = parse_msg_ids(value);
          if (!ids.empty()) m.in_reply_to = ids[0];
        }
        break;
      case 'r':
        if (iequals(name, "references")) {
          for (std::string& id : parse_msg_ids(value)) m.references.push_back(std::move(id));
        }
        break;
      case 'a':
        if (iequals(name, "auto-submitted") && !iequals(trim(value), "no")) m.automated = true;
        break;
      case 'p':
        if (iequals(name, "precedence") &&
            (iequals(trim(value), "bulk") || iequals(trim(value), "junk"))) {
          m.automated = true;
        }
        break;
      case 'x':
        if (iequals(name, "x-patchwork-bot") || iequals(name, "x-mailer-bot") ||
            iequals(name, "x-kernel-test-robot")) {
          m.automated = true;
        }
        break;
      default: break;
    }
    return true;
  });
  return m;
}

}  // namespace kci::inbox
