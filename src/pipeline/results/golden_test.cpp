// SPDX-License-Identifier: LGPL-2.1-or-later
// Golden files of the HTML console logs: each testdata/log-html/<case>.log
// must give <case>.html (titled "<case> <console>", which tests the
// escaping of the title too) byte for byte. Regenerate with
// scripts/update-golden.sh and review the diff.
#include <gtest/gtest.h>

#include <filesystem>

#include "pipeline/results/log_html.h"
#include "util/file.h"
#include "util/test_support.h"

namespace kci::pipeline {
namespace {

namespace fs = std::filesystem;

TEST(Golden, ConsoleLogHtml) {
  const fs::path dir = fs::path(KCI_SOURCE_DIR) / "src/pipeline/results/testdata/log-html";
  for (const fs::path& input : testing::golden_inputs(dir, ".log")) {
    std::string name = input.stem().string();
    EXPECT_TRUE(testing::check_golden(
        dir / (name + ".html"), console_log_html(read_file(input.string()), name + " <console>")));
  }
}

}  // namespace
}  // namespace kci::pipeline
