// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/results/log_html.h"

#include <gtest/gtest.h>

namespace kci::pipeline {
namespace {

TEST(LogHtml, EscapesEverything) {
  EXPECT_EQ(html_escape("<script>&\"'\x01"), "&lt;script&gt;&amp;&quot;&#39;&#xFFFD;");
}

// The whole page of a console log is checked against golden files
// (golden_test.cpp, testdata/log-html/).

}  // namespace
}  // namespace kci::pipeline
