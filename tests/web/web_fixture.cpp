// SPDX-License-Identifier: LGPL-2.1-or-later
// web_fixture -d SPEC [--branches N] [--checkouts N] [--tests N] [--xss]
//             [--artifacts DIR]
// Creates the database of SPEC (kci db init) and loads generated results
// (tests/web/generator.h), for the dashboard's browser test and bench.
// With --artifacts, writes a local run's logs under DIR (plus symbolic
// links that point out of it) and a test whose log_url names them.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

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
    auto store = store::open_store(spec);
    store->init(true);
    std::size_t tests = webtest::generate(options, [&](report::Report& r) { store->load(r); });
    if (xss) store->load(webtest::hostile_report());
    if (!artifacts.empty()) {
      namespace fs = std::filesystem;
      fs::path root = fs::absolute(artifacts);
      fs::create_directories(root / "run1");
      std::ofstream(root / "run1" / "console.log")
          << "[    0.000000] Linux version 6.13.0-rc1\n"
          << "[    1.234567] kci local run: login reached\n";
      std::ofstream(root / "run1" / "console.html")
          << "<html><body><pre>boot log</pre><script>document.title='ran'</script></body></html>\n";
      std::ofstream(root.parent_path() / "outside-secret.txt") << "secret outside the root\n";
      std::error_code ec;
      fs::create_symlink(root.parent_path() / "outside-secret.txt",
                         root / "run1" / "secret-link.txt", ec);
      fs::create_directory_symlink(root.parent_path(), root / "up-link", ec);
      report::Report r;
      report::Test t;
      t.id = "local:run1:baseline.login";
      t.build_id = webtest::kHostileBuildId;
      t.origin = "local";
      t.path = "baseline.login";
      t.status = "PASS";
      t.start_time = now_rfc3339();
      t.log_url = "file://" + (root / "run1" / "console.log").string();
      t.output_files = R"([{"name":"console.html","url":"file://)" +
                       (root / "run1" / "console.html").string() + "\"}]";
      r.tests.push_back(t);
      if (!xss) {
        // The test needs a build and checkout to hang from.
        report::Report h = webtest::hostile_report();
        r.checkouts = h.checkouts;
        r.builds = h.builds;
      }
      store->load(r);
    }
    std::printf("%zu tests generated\n", tests);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "web_fixture: %s\n", e.what());
    return 3;
  }
  return 0;
}
