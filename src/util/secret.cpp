// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/secret.h"

#include <cstddef>

namespace kci {

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Walk the longer one in full so that the loop count does not depend on
  // which is shorter; volatile keeps the compiler from cutting it short.
  std::size_t n = a.size() > b.size() ? a.size() : b.size();
  volatile unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = static_cast<unsigned char>(diff | (x ^ y));
  }
  return diff == 0;
}

}  // namespace kci
