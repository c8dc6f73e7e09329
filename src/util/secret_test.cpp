// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/secret.h"

#include <gtest/gtest.h>

#include <string>

namespace kci {
namespace {

// Correctness only: timing is not asserted (docs/security.md says how the
// constant time is ensured: no early exit, every byte read).
TEST(ConstantTimeEqual, ComparesEveryByte) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "xbc"));  // first byte differs
  EXPECT_FALSE(constant_time_equal("abc", "ab"));   // a prefix is not equal
  EXPECT_FALSE(constant_time_equal("ab", "abc"));
  EXPECT_FALSE(constant_time_equal("", "a"));
  // Embedded NUL bytes count: a C-string comparison would stop at them.
  EXPECT_FALSE(constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
  EXPECT_FALSE(constant_time_equal(std::string("a\0", 2), "a"));
  std::string h(64, 'f');
  std::string g = h;
  g[63] = 'e';  // last byte differs
  EXPECT_FALSE(constant_time_equal(h, g));
  EXPECT_TRUE(constant_time_equal(h, std::string(64, 'f')));
}

}  // namespace
}  // namespace kci
