// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/huge_pages.h"

#include <gtest/gtest.h>

namespace kci::util {
namespace {

constexpr const char* kMadvise = "always [madvise] never\n";

TEST(HugePages, AddsTheTunableUnderMadvise) {
  EXPECT_EQ(huge_page_tunables(nullptr, kMadvise), "glibc.malloc.hugetlb=1");
  EXPECT_EQ(huge_page_tunables("", kMadvise), "glibc.malloc.hugetlb=1");
  // The user's own tunables are kept.
  EXPECT_EQ(huge_page_tunables("glibc.malloc.arena_max=2", kMadvise),
            "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1");
}

TEST(HugePages, ChangesNothingWhenNotUseful) {
  // Set already (by the user, or by the first execution): no second exec.
  EXPECT_EQ(huge_page_tunables("glibc.malloc.hugetlb=0", kMadvise), std::nullopt);
  EXPECT_EQ(huge_page_tunables("glibc.malloc.hugetlb=1", kMadvise), std::nullopt);
  // `always` gives huge pages without asking; `never` refuses them.
  EXPECT_EQ(huge_page_tunables(nullptr, "[always] madvise never\n"), std::nullopt);
  EXPECT_EQ(huge_page_tunables(nullptr, "always madvise [never]\n"), std::nullopt);
  EXPECT_EQ(huge_page_tunables(nullptr, ""), std::nullopt);
}

}  // namespace
}  // namespace kci::util
