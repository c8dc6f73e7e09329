// SPDX-License-Identifier: LGPL-2.1-or-later
// For tests only (includes GoogleTest).
//
// Golden files: check_golden(expected_path, actual) compares a generated
// text with its expected file; KCI_UPDATE_GOLDEN=1 rewrites the file
// instead (scripts/update-golden.sh), so a change of format is reviewed as
// the diff of the expected files.
//
// Real parts: the one way a test says that a real part it needs is missing (PostgreSQL,
// linux-source, QEMU, lava-run, the
// ../shared data, a tool). Outside CI the test is skipped; under CI=true it
// FAILS, so that a green CI means the real parts ran. Shell tests use
// tests/lib/real-part.sh, which follows the same rule.
//
//   if (!cluster) KCI_MISSING_REAL_PART("no PostgreSQL: " << reason);
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace kci::testing {

// True when the CI environment variable is set to anything but "", "0" or
// "false" (GitHub Actions, GitLab CI and scripts/run-tests.sh set CI=true).
inline bool ci_requires_real_parts() {
  const char* ci = std::getenv("CI");
  if (!ci) return false;
  std::string_view value(ci);
  return !value.empty() && value != "0" && value != "false";
}

// True when KCI_UPDATE_GOLDEN is set to anything but "", "0" or "false".
inline bool updating_golden_files() {
  const char* v = std::getenv("KCI_UPDATE_GOLDEN");
  if (!v) return false;
  std::string_view value(v);
  return !value.empty() && value != "0" && value != "false";
}

// The files of `dir` whose names end with `suffix`, sorted (the cases of a
// golden test). Fails the test if there are none.
inline std::vector<std::filesystem::path> golden_inputs(const std::filesystem::path& dir,
                                                        std::string_view suffix) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().filename().string().ends_with(suffix)) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  EXPECT_FALSE(out.empty()) << "no golden inputs *" << suffix << " in " << dir;
  return out;
}

// Compares `actual` with the expected file (or rewrites it under
// KCI_UPDATE_GOLDEN=1). On a difference the message names the file, the
// first differing line and how to regenerate.
inline ::testing::AssertionResult check_golden(const std::filesystem::path& expected_path,
                                               const std::string& actual) {
  if (updating_golden_files()) {
    std::ofstream out(expected_path, std::ios::binary | std::ios::trunc);
    out << actual;
    if (!out.flush()) return ::testing::AssertionFailure() << "cannot write " << expected_path;
    return ::testing::AssertionSuccess();
  }
  std::ifstream in(expected_path, std::ios::binary);
  if (!in) {
    return ::testing::AssertionFailure()
           << "no expected file " << expected_path
           << "; create it with KCI_UPDATE_GOLDEN=1 (scripts/update-golden.sh)";
  }
  std::string expected((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (expected == actual) return ::testing::AssertionSuccess();
  std::istringstream e(expected), a(actual);
  std::string le, la;
  int line = 0;
  while (true) {
    ++line;
    bool got_e = static_cast<bool>(std::getline(e, le));
    bool got_a = static_cast<bool>(std::getline(a, la));
    if (!got_e && !got_a) break;
    if (!got_e || !got_a || le != la) break;
  }
  return ::testing::AssertionFailure()
         << expected_path.string() << ":" << line << ": differs\n  expected: " << le
         << "\n  actual:   " << la
         << "\nIf the change is intended, regenerate with scripts/update-golden.sh and review "
            "the diff.";
}

}  // namespace kci::testing

// Skips the current test (outside CI) or fails it (CI=true) with the
// message, which may be a << chain. Use in a test body or SetUp().
#define KCI_MISSING_REAL_PART(message)                                           \
  do {                                                                           \
    std::ostringstream kci_missing_message_;                                     \
    kci_missing_message_ << message;                                             \
    if (::kci::testing::ci_requires_real_parts()) {                              \
      GTEST_FAIL() << "missing real part under CI=true (a CI run must use it): " \
                   << kci_missing_message_.str();                                \
    } else {                                                                     \
      GTEST_SKIP() << kci_missing_message_.str();                                \
    }                                                                            \
  } while (false)
