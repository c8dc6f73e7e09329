// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/time.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace kci {

namespace {

// Reads exactly n digits at s[pos]; false if they are not all there.
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// Writes n decimal digits of v (zero-padded) at p.
char* put_digits(char* p, std::uint64_t v, int n) {
  for (int k = n - 1; k >= 0; --k) {
    p[k] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + n;
}

}  // namespace

std::optional<UtcMicros> parse_rfc3339_micros(std::string_view s) {
  using namespace std::chrono;
  int y, mo, d, h, mi, sec;
  if (s.size() < 20 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' ||
      !digits(s, 17, 2, sec)) {
    return std::nullopt;
  }
  year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (y == 0 || !date.ok() || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t micros = 0;
  if (s[pos] == '.') {
    std::size_t start = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (pos - start < 6) micros = micros * 10 + (s[pos] - '0');
      ++pos;
    }
    if (pos == start) return std::nullopt;
    for (std::size_t n = pos - start; n < 6; ++n) micros *= 10;
  }
  if (pos >= s.size()) return std::nullopt;
  int offset = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  return UtcMicros{sys_days{date}} + hours{h} + minutes{mi} + seconds{sec - offset} +
         microseconds{micros};
}

std::optional<SystemTime> parse_rfc3339(std::string_view text) {
  using namespace std::chrono;
  std::optional<UtcMicros> t = parse_rfc3339_micros(text);
  if (!t) return std::nullopt;
  // Beyond SystemTime's nanoseconds (about 1678-2262) it would overflow.
  constexpr auto kLimit = duration_cast<microseconds>(SystemTime::duration::max()) - hours{24};
  if (t->time_since_epoch() > kLimit || t->time_since_epoch() < -kLimit) return std::nullopt;
  return time_point_cast<SystemTime::duration>(*t);
}

std::size_t format_rfc3339(UtcMicros t, char* out) {
  using namespace std::chrono;
  sys_days day_start = floor<days>(t);
  year_month_day date{day_start};
  auto in_day = t - day_start;  // microseconds, 0 <= in_day < 24 h
  std::int64_t secs = duration_cast<seconds>(in_day).count();
  std::int64_t frac = (in_day - seconds{secs}).count();
  int y = static_cast<int>(date.year());
  char* p = out;
  // As printf's "%04lld": at least 4 characters, the '-' of a negative year
  // included.
  if (y < 0) *p++ = '-';
  std::uint64_t ay = static_cast<std::uint64_t>(y < 0 ? -static_cast<std::int64_t>(y) : y);
  int n = 1;
  for (std::uint64_t v = ay / 10; v; v /= 10) ++n;
  p = put_digits(p, ay, std::max(n, y < 0 ? 3 : 4));
  *p++ = '-';
  p = put_digits(p, static_cast<unsigned>(date.month()), 2);
  *p++ = '-';
  p = put_digits(p, static_cast<unsigned>(date.day()), 2);
  *p++ = 'T';
  p = put_digits(p, static_cast<std::uint64_t>(secs / 3600), 2);
  *p++ = ':';
  p = put_digits(p, static_cast<std::uint64_t>(secs / 60 % 60), 2);
  *p++ = ':';
  p = put_digits(p, static_cast<std::uint64_t>(secs % 60), 2);
  *p++ = '.';
  p = put_digits(p, static_cast<std::uint64_t>(frac), 6);
  std::memcpy(p, "+00:00", 6);
  p += 6;
  return static_cast<std::size_t>(p - out);
}

std::string format_rfc3339(UtcMicros t) {
  char buf[kRfc3339BufferSize];
  return std::string(buf, format_rfc3339(t, buf));
}

std::string format_rfc3339(SystemTime t) {
  return format_rfc3339(std::chrono::floor<std::chrono::microseconds>(t));
}

}  // namespace kci
