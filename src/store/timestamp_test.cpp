// SPDX-License-Identifier: LGPL-2.1-or-later
#include "store/timestamp.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <random>

#include "store/store.h"

namespace kci::store {
namespace {

TEST(Timestamp, NormalizesToUtcMicroseconds) {
  EXPECT_EQ(normalize_timestamp("2020-02-29T23:30:00.1234567-01:00"),
            "2020-03-01T00:30:00.123456+00:00");
  EXPECT_EQ(normalize_timestamp("1970-01-01 00:00:00Z"), "1970-01-01T00:00:00.000000+00:00");
  EXPECT_EQ(normalize_timestamp("2024-06-01t12:00:00.5+05:30"), "2024-06-01T06:30:00.500000+00:00");
  // Years leaving 0000..9999 through the offset: printf's "%04lld" forms.
  EXPECT_EQ(normalize_timestamp("9999-12-31T23:00:00-02:00"), "10000-01-01T01:00:00.000000+00:00");
  EXPECT_EQ(normalize_timestamp("0001-01-01T00:00:00+01:00"), "0000-12-31T23:00:00.000000+00:00");
  // The one strict parser of util/time.h: real calendar days, no leap
  // second, no year 0000.
  for (const char* bad :
       {"", "2020-01-01", "2020-01-01T00:00:00", "2020-13-01T00:00:00Z", "2020-01-01T00:00:00.Z",
        "2020-01-01T00:00:00Z ", "yesterday", "2021-02-29T00:00:00Z", "2020-04-31T00:00:00Z",
        "2020-01-01T00:00:60Z", "0000-01-01T00:00:00+01:00"}) {
    EXPECT_THROW(normalize_timestamp(bad), StoreError) << bad;
  }
}

// The buffer form agrees with a gmtime/strftime reference on random instants.
TEST(Timestamp, BufferFormMatchesReference) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::int64_t> secs(-2208988800LL, 4102444800LL);  // 1900..2100
  std::uniform_int_distribution<int> micros(0, 999999);
  for (int i = 0; i < 10000; ++i) {
    std::time_t t = static_cast<std::time_t>(secs(rng));
    int us = micros(rng);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    char want[64];
    std::snprintf(want, sizeof want, "%s.%06d+00:00", date, us);
    char in[64];
    std::snprintf(in, sizeof in, "%s.%06dZ", date, us);
    char out[kTimestampBufferSize];
    std::size_t n = normalize_timestamp(in, out);
    ASSERT_EQ(std::string(out, n), want) << in;
  }
}

}  // namespace
}  // namespace kci::store
