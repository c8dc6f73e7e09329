// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/results/log_html.h"

#include <gtest/gtest.h>

namespace kci::pipeline {
namespace {

TEST(LogHtml, EscapesEverything) {
  EXPECT_EQ(html_escape("<script>&\"'\x01"), "&lt;script&gt;&amp;&quot;&#39;&#xFFFD;");
}

TEST(LogHtml, AnchorsAndHighlights) {
  std::string html = console_log_html(
      "boot <ok>\n[ 1.0] Kernel panic - not syncing: x\n[ 1.0] Call Trace:\nKCI-DONE\n", "a<b");
  EXPECT_NE(html.find("<title>a&lt;b</title>"), std::string::npos);
  EXPECT_NE(html.find("id=\"L1\""), std::string::npos);
  EXPECT_NE(html.find("boot &lt;ok&gt;"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"error\">[ 1.0] Kernel panic"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"trace\">[ 1.0] Call Trace:"), std::string::npos);
  EXPECT_NE(html.find("href=\"#L2\">line 2</a>"), std::string::npos);
  EXPECT_EQ(html.find("<ok>"), std::string::npos);
}

}  // namespace
}  // namespace kci::pipeline
