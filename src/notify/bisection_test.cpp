// SPDX-License-Identifier: LGPL-2.1-or-later
#include "notify/bisection.h"

#include <gtest/gtest.h>

namespace kci::notify {
namespace {

TEST(Bisection, RecipientsFromAuthorAndTrailers) {
  BisectionResult r;
  r.culprit_author = "Jane Developer <jane@example.org>";
  r.culprit_show =
      "commit 1f2e3d\n"
      "Author: Jane Developer <jane@example.org>\n"
      "Date:   Mon Nov 30 10:00:00 2026 +0100\n\n"
      "    fs: fix the root mount flags\n\n"
      "    Reported-by: Bot <bot@ci.example.org>\n"
      "    Signed-off-by: Jane Developer <JANE@example.org>\n"
      "    Reviewed-by: Rev Iewer <rev@example.org>\n"
      "    Acked-by: not an address\n"
      "    Tested-by: t@example.org\r\n"
      "    Cc: stable@vger.kernel.org\n\n"
      "diff --git a/x b/x\n"
      "+Signed-off-by: Diff Line <diff@example.org>\n";
  auto to = bisection_recipients(r);
  ASSERT_EQ(to.size(), 4u);
  EXPECT_EQ(to[0], (Address{"Jane Developer", "jane@example.org"}));
  EXPECT_EQ(to[1].email, "bot@ci.example.org");
  EXPECT_EQ(to[2].email, "rev@example.org");
  EXPECT_EQ(to[3].email, "t@example.org");
}

}  // namespace
}  // namespace kci::notify
