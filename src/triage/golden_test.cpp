// SPDX-License-Identifier: LGPL-2.1-or-later
// Data-driven golden tests: every tests/triage/golden/{console,build}/NAME.log
// is scanned and its JSON lines compared with NAME.jsonl beside it.
// Regenerate the expected files after a deliberate change with
//   KCI_UPDATE_GOLDEN=1 build/src/triage/triage_test --gtest_filter='Golden*'
// and review the diff (docs/triage.md).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "triage/scan.h"

namespace kci::triage {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void check_folder(const std::string& sub, LogKind kind, int min_cases) {
  fs::path dir = fs::path(KCI_SOURCE_DIR) / "tests" / "triage" / "golden" / sub;
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  bool update = std::getenv("KCI_UPDATE_GOLDEN") != nullptr;
  int cases = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".log") continue;
    ++cases;
    std::string got;
    for (const Finding& f : scan_text(kind, slurp(entry.path()))) got += to_json_line(f) + "\n";
    fs::path expected = entry.path();
    expected.replace_extension(".jsonl");
    if (update) {
      std::ofstream(expected, std::ios::binary) << got;
      continue;
    }
    ASSERT_TRUE(fs::exists(expected)) << expected << " missing: regenerate (docs/triage.md)";
    EXPECT_EQ(got, slurp(expected)) << "golden mismatch for " << entry.path();
  }
  EXPECT_GE(cases, min_cases);
}

TEST(Golden, ConsoleLogs) { check_folder("console", LogKind::kConsole, 35); }
TEST(Golden, BuildLogs) { check_folder("build", LogKind::kBuild, 3); }

}  // namespace
}  // namespace kci::triage
