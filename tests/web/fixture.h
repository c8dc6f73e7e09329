// SPDX-License-Identifier: LGPL-2.1-or-later
// The dashboard's test database: generated results (generator.h), the
// hostile reports, a local run's logs in an artifact folder, the analysis
// tables, and two bisections (one found a culprit, one failed). Used by
// the page tests (SQLite and PostgreSQL), the golden pages, the browser
// test (web_fixture) and the bench.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>

#include "generator.h"

namespace kci::webtest {

struct FixtureOptions {
  GeneratorOptions generator;
  bool hostile = true;              // the hostile reports
  std::filesystem::path artifacts;  // empty: no local run
  bool analysis = true;             // run the analysis
  bool bisections = true;           // record two bisections (needs analysis)
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

// The ids of the local run's objects (with artifacts).
inline constexpr const char* kLocalTestId = "local:run1:baseline.login";
inline constexpr const char* kLocalBuildId = "local:run1:build";

// Creates the database of `spec` and fills it; returns the tests generated.
std::size_t load_fixture(const std::string& spec, const FixtureOptions& options);

}  // namespace kci::webtest
