// SPDX-License-Identifier: LGPL-2.1-or-later
// Test helpers: parsing JSON text and finding the shared KCIDB samples
// (/work/shared, next to the source tree). Only for *_test.cpp files.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "report/json.h"
#include "util/file.h"
#include "util/test_support.h"

namespace kci::report::testing {

// Parses JSON text (which may hold "\u0000" escapes) into a document.
inline json::Document parse(std::string_view text) {
  json::Document doc;
  doc.Parse(text.data(), text.size());
  EXPECT_FALSE(doc.HasParseError()) << text;
  return doc;
}

inline std::string samples_dir() { return KCI_SOURCE_DIR "/../shared/kcidb-samples/"; }

// True if the shared samples are there; tests skip otherwise (fail under
// CI=true, see util/test_support.h).
inline bool have_samples() { return std::filesystem::is_directory(samples_dir()); }

inline json::Document read_sample(const std::string& name) {
  return parse(read_file(samples_dir() + name));
}

#define KCI_REQUIRE_SAMPLES()                                                           \
  do {                                                                                  \
    if (!::kci::report::testing::have_samples())                                        \
      KCI_MISSING_REAL_PART("KCIDB samples not found at "                               \
                            << ::kci::report::testing::samples_dir()                    \
                            << " (the shared data directory next to the source tree)"); \
  } while (false)

}  // namespace kci::report::testing
