// SPDX-License-Identifier: LGPL-2.1-or-later
#include "notify/bisection.h"

#include <gtest/gtest.h>

#include "notify/render.h"

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

namespace kci::notify {
namespace {

// A stored automatic bisection (its request and result JSON, as
// bisect::BisectionTable keeps them) becomes the bisection email.
TEST(Bisection, ReportOfAStoredBisectionRenders) {
  bisect::BisectResult result;
  result.status = "found";
  result.good = result.start = std::string(40, 'a');
  result.bad = std::string(40, 'b');
  bisect::CommitInfo culprit;
  culprit.hash = "1f2e3d4c5b6a" + std::string(28, '0');
  culprit.subject = "fs: break the root mount";
  culprit.author = "Jane Developer <jane@example.org>";
  culprit.show = "commit " + culprit.hash +
                 "\nAuthor: Jane Developer <jane@example.org>\n\n    fs: break the root mount\n\n"
                 "    Signed-off-by: Jane Developer <jane@example.org>\n"
                 "    Reviewed-by: Rev Iewer <rev@example.org>\n";
  result.culprit = culprit;
  result.verify = {"PASS", "culprit fails, parent passes"};
  result.revert = {"conflict", "does not revert cleanly"};
  bisect::StepRecord bad;
  bad.stage = "verify-bad";
  bad.commit = result.bad;
  bad.subject = "Merge tag 'fs-next'";
  result.steps.push_back(bad);
  result.bisect_log = "git bisect start\n# first bad commit: [" + culprit.hash + "]\n";

  bisect::BisectionRecord record;
  record.id = 7;
  record.state = "done";
  record.request.tree_name = "mainline";
  record.request.git_repository_branch = "master";
  record.request.git_repository_url = "https://git.example.org/linux.git";
  record.request.arch = "x86_64";
  record.request.config = "tinyconfig+x86_64-boot";
  record.request.compiler = "gcc (Debian 12.2.0-14) 12.2.0";
  record.request.test_path = "baseline.dmesg.crit";
  record.request.platform = "qemu-x86_64";
  record.request.bad_checkout = "kci:checkout-2";
  record.request.log_url = "file:///logs/2.txt";
  record.result = bisect::result_json(result, 0);

  BisectionResult r = bisection_report_of(record, "kci bot <bot@example.org>");
  EXPECT_EQ(r.culprit_sha, culprit.hash);
  EXPECT_EQ(r.result_summary, "1f2e3d4c5b6a fs: break the root mount");
  EXPECT_EQ(r.start_summary, "bbbbbbbbbbbb Merge tag 'fs-next'");
  EXPECT_EQ(r.check_verify, "PASS");
  EXPECT_EQ(r.check_revert, "");  // a conflict: not run
  EXPECT_EQ(r.target, "qemu-x86_64");
  EXPECT_EQ(r.checkout_id, "kci:checkout-2");
  RenderedReport mail = render_bisection_report(r);
  EXPECT_EQ(mail.subject, "mainline/master bisection: baseline.dmesg.crit on qemu-x86_64");
  EXPECT_NE(mail.body.find("1f2e3d4c5b6a fs: break the root mount"), std::string::npos)
      << mail.body;
  EXPECT_NE(mail.body.find("# first bad commit"), std::string::npos) << mail.body;
  auto to = bisection_recipients(r);
  ASSERT_EQ(to.size(), 2u);
  EXPECT_EQ(to[1].email, "rev@example.org");

  // Not done yet, or done without a culprit: no email.
  bisect::BisectionRecord queued = record;
  queued.result.clear();
  EXPECT_THROW(bisection_report_of(queued), InvalidInputError);
  result.culprit.reset();
  result.status = "ambiguous";
  record.result = bisect::result_json(result, 0);
  EXPECT_THROW(bisection_report_of(record), InvalidInputError);
}

}  // namespace
}  // namespace kci::notify
