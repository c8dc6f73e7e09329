// SPDX-License-Identifier: LGPL-2.1-or-later
// What every fuzz target shares: a check that aborts (a finding for
// libFuzzer) when an invariant of the code under test does not hold.
#pragma once

#include <cstdio>
#include <cstdlib>

#define KCI_FUZZ_CHECK(cond)                                                            \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)
