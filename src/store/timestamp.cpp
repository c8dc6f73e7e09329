// SPDX-License-Identifier: LGPL-2.1-or-later
#include "store/timestamp.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>

#include "store/store.h"

namespace kci::store {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

// Writes n decimal digits of v (zero-padded) at p.
char* put_digits(char* p, std::uint64_t v, int n) {
  for (int k = n - 1; k >= 0; --k) {
    p[k] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + n;
}

std::size_t format_micros(std::int64_t micros, char* out) {
  std::int64_t secs = micros / 1000000;
  std::int64_t frac = micros % 1000000;
  if (frac < 0) {
    frac += 1000000;
    --secs;
  }
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char* p = out;
  // As printf's "%04lld": at least 4 characters, the '-' of a negative year
  // included.
  if (y < 0) *p++ = '-';
  std::uint64_t ay = static_cast<std::uint64_t>(y < 0 ? -y : y);
  int digits = 1;
  for (std::uint64_t v = ay / 10; v; v /= 10) ++digits;
  p = put_digits(p, ay, std::max(digits, y < 0 ? 3 : 4));
  *p++ = '-';
  p = put_digits(p, m, 2);
  *p++ = '-';
  p = put_digits(p, d, 2);
  *p++ = 'T';
  p = put_digits(p, static_cast<std::uint64_t>(rem / 3600), 2);
  *p++ = ':';
  p = put_digits(p, static_cast<std::uint64_t>(rem / 60 % 60), 2);
  *p++ = ':';
  p = put_digits(p, static_cast<std::uint64_t>(rem % 60), 2);
  *p++ = '.';
  p = put_digits(p, static_cast<std::uint64_t>(frac), 6);
  std::memcpy(p, "+00:00", 6);
  p += 6;
  return static_cast<std::size_t>(p - out);
}

std::string format_micros(std::int64_t micros) {
  char buf[kTimestampBufferSize];
  return std::string(buf, format_micros(micros, buf));
}

}  // namespace

std::string normalize_timestamp(std::string_view t) {
  char buf[kTimestampBufferSize];
  return std::string(buf, normalize_timestamp(t, buf));
}

std::size_t normalize_timestamp(std::string_view t, char* buf) {
  auto fail = [&]() -> std::size_t {
    throw StoreError("not an RFC 3339 date-time: \"" + std::string(t) + "\"");
  };
  std::size_t i = 0;
  auto digits = [&](std::size_t n, int& out) {
    out = 0;
    for (std::size_t k = 0; k < n; ++k, ++i) {
      if (i >= t.size() || t[i] < '0' || t[i] > '9') return false;
      out = out * 10 + (t[i] - '0');
    }
    return true;
  };
  auto expect = [&](auto pred) {
    if (i >= t.size() || !pred(t[i])) return false;
    ++i;
    return true;
  };
  int year, month, day, hour, minute, second;
  if (!digits(4, year) || !expect([](char c) { return c == '-'; }) || !digits(2, month) ||
      !expect([](char c) { return c == '-'; }) || !digits(2, day) ||
      !expect([](char c) { return c == 'T' || c == 't' || c == ' '; }) || !digits(2, hour) ||
      !expect([](char c) { return c == ':'; }) || !digits(2, minute) ||
      !expect([](char c) { return c == ':'; }) || !digits(2, second)) {
    return fail();
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return fail();
  }
  std::int64_t micros = 0;
  if (i < t.size() && t[i] == '.') {
    ++i;
    int n = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      if (n < 6) micros = micros * 10 + (t[i] - '0');
      ++n;
      ++i;
    }
    if (n == 0) return fail();
    for (; n < 6; ++n) micros *= 10;
  }
  std::int64_t offset = 0;
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) {
    ++i;
  } else if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
    int sign = t[i] == '-' ? -1 : 1;
    ++i;
    int oh, om;
    if (!digits(2, oh) || !expect([](char c) { return c == ':'; }) || !digits(2, om)) {
      return fail();
    }
    offset = sign * (oh * 3600 + om * 60);
  } else {
    return fail();
  }
  if (i != t.size()) return fail();
  std::int64_t secs = days_from_civil(year, static_cast<unsigned>(month),
                                      static_cast<unsigned>(day)) * 86400 +
                      hour * 3600 + minute * 60 + second - offset;
  return format_micros(secs * 1000000 + micros, buf);
}

std::string now_timestamp() {
  auto now = std::chrono::system_clock::now();
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  return format_micros(micros);
}

}  // namespace kci::store
