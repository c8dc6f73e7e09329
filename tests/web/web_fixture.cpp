// SPDX-License-Identifier: LGPL-2.1-or-later
// web_fixture -d SPEC [--branches N] [--checkouts N] [--tests N] [--xss]
//             [--artifacts DIR]
// Creates the database of SPEC (kci db init) and loads generated results
// (tests/web/generator.h), for the dashboard's browser test and bench.
// With --artifacts, writes a local run's logs under DIR (plus symbolic
// links that point out of it) and a build and a test whose log_url names
// them. Then runs the analysis and records two bisections (fixture.h).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "fixture.h"
#include "generator.h"
#include "store/store.h"
#include "util/time.h"

using namespace kci;

int main(int argc, char** argv) {
  std::string spec;
  webtest::GeneratorOptions options;
  bool xss = false;
  std::string artifacts;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "web_fixture: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "-d")
      spec = next();
    else if (a == "--branches")
      options.branches = std::stoi(next());
    else if (a == "--checkouts")
      options.checkouts_per_branch = std::stoi(next());
    else if (a == "--tests")
      options.tests_per_platform = std::stoi(next());
    else if (a == "--seed")
      options.seed = static_cast<std::uint32_t>(std::stoul(next()));
    else if (a == "--xss")
      xss = true;
    else if (a == "--artifacts")
      artifacts = next();
    else {
      std::fprintf(stderr,
                   "usage: web_fixture -d SPEC [--branches N] [--checkouts N] "
                   "[--tests N] [--seed N] [--xss] [--artifacts DIR]\n");
      return 2;
    }
  }
  if (spec.empty()) {
    std::fprintf(stderr, "web_fixture: -d SPEC is required\n");
    return 2;
  }
  try {
    webtest::FixtureOptions fixture;
    fixture.generator = options;
    fixture.hostile = xss;
    fixture.artifacts = artifacts;
    std::size_t tests = webtest::load_fixture(spec, fixture);
    std::printf("%zu tests generated\n", tests);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "web_fixture: %s\n", e.what());
    return 3;
  }
  return 0;
}
