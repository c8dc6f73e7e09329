// SPDX-License-Identifier: LGPL-2.1-or-later
#include "fixture.h"

#include <fstream>
#include <functional>

#include "analysis/analyzer.h"
#include "analysis/queries.h"
#include "bisect/auto_bisect.h"
#include "store/sql.h"
#include "store/store.h"
#include "util/time.h"

namespace kci::webtest {

namespace fs = std::filesystem;

namespace {

void write_local_run(const std::function<void(report::Report)>& load, const FixtureOptions& o) {
  fs::path root = fs::absolute(o.artifacts);
  fs::create_directories(root / "run1");
  std::ofstream(root / "run1" / "console.log")
      << "[    0.000000] Linux version 6.13.0-rc1\n"
      << "[    1.234567] kci local run: login reached\n"
      << "[    2.000000] <script>window.__xss=20</script> \"onmouseover=\"window.__xss=21\n"
      << "[    2.100000] BUG: kernel NULL pointer dereference, address: 0000000000000008\n"
      << "[    2.100100] #PF: supervisor read access in kernel mode\n"
      << "[    2.100200] Oops: 0000 [#1] PREEMPT SMP NOPTI\n"
      << "[    2.100300] RIP: 0010:kci_probe+0x12/0x40\n"
      << "[    2.100400] Call Trace:\n"
      << "[    2.100500]  <TASK>\n"
      << "[    2.100600]  really_probe+0xde/0x380\n"
      << "[    2.100700]  </TASK>\n"
      << "[    2.100800] ---[ end trace 0000000000000000 ]---\n"
      << "[    3.000000] login:\n";
  std::ofstream(root / "run1" / "build.log")
      << "  CC      init/main.o\n"
      << "  CC      drivers/kci/probe.o\n"
      << "drivers/kci/probe.c: In function 'kci_probe':\n"
      << "drivers/kci/probe.c:12:9: error: 'dev' undeclared (first use in this function)\n"
      << "   12 |         dev->flags = 0; /* <script>window.__xss=22</script> */\n"
      << "      |         ^~~\n"
      << "drivers/kci/probe.c:20:5: warning: unused variable 'x' [-Wunused-variable]\n"
      << "make[4]: *** [scripts/Makefile.build:243: drivers/kci/probe.o] Error 1\n"
      << "make[3]: *** [scripts/Makefile.build:480: drivers/kci] Error 2\n";
  std::ofstream(root / "run1" / "console.html")
      << "<html><body><pre>boot log</pre><script>document.title='ran'</script></body></html>\n";
  std::ofstream(root.parent_path() / "outside-secret.txt") << "secret outside the root\n";
  std::error_code ec;
  fs::create_symlink(root.parent_path() / "outside-secret.txt", root / "run1" / "secret-link.txt",
                     ec);
  fs::create_directory_symlink(root.parent_path(), root / "up-link", ec);

  report::Report r;
  if (!o.hostile) {
    // The local run hangs from the hostile checkout.
    report::Report h = hostile_report(o.now);
    r.checkouts = h.checkouts;
    r.builds = h.builds;
  }
  report::Build b;
  b.id = kLocalBuildId;
  b.checkout_id = kHostileCheckoutId;
  b.origin = "local";
  b.architecture = "x86_64";
  b.config_name = "defconfig";
  b.compiler = "gcc-12";
  b.status = "FAIL";
  b.start_time = format_rfc3339(o.now);
  b.log_url = "file://" + (root / "run1" / "build.log").string();
  r.builds.push_back(b);
  report::Test t;
  t.id = kLocalTestId;
  t.build_id = kHostileBuildId;
  t.origin = "local";
  t.path = "baseline.login";
  t.status = "PASS";
  t.start_time = format_rfc3339(o.now);
  t.log_url = "file://" + (root / "run1" / "console.log").string();
  t.output_files = R"([{"name":"console.html","url":"file://)" +
                   (root / "run1" / "console.html").string() + "\"}]";
  r.tests.push_back(t);
  load(r);
}

bisect::BisectRequest request_of(const analysis::RegressionInfo& r) {
  bisect::BisectRequest q;
  const analysis::Identity& id = r.identity.identity;
  q.regression_id = r.id;
  q.identity_key = r.identity.key;
  q.origin = id.origin;
  q.tree_name = id.tree_name;
  q.git_repository_url = id.git_repository_url;
  q.git_repository_branch = id.git_repository_branch;
  q.good_checkout = r.last_pass.checkout_id;
  q.bad_checkout = r.first_fail.checkout_id;
  q.good = "1111111111111111111111111111111111111111";
  q.bad = "2222222222222222222222222222222222222222";
  q.good_describe = r.last_pass.describe;
  q.bad_describe = r.first_fail.describe;
  q.arch = id.architecture;
  q.config = id.config_name;
  q.compiler = id.compiler;
  q.test_path = id.path;
  q.platform = id.platform;
  q.failing_test_ids = {r.first_fail.id, r.last_fail.id};
  return q;
}

void record_bisections(store::SqlConnection& sql, std::int64_t now) {
  std::vector<analysis::RegressionInfo> list = analysis::regressions(sql, {});
  const analysis::RegressionInfo* mainline = nullptr;
  const analysis::RegressionInfo* hostile = nullptr;
  for (const auto& r : list) {
    if (!mainline && r.identity.identity.origin == "maestro" &&
        r.identity.identity.path == kRegressingPath) {
      mainline = &r;
    }
    if (!hostile && r.identity.identity.origin == "xss") hostile = &r;
  }
  bisect::BisectionTable table(sql);
  if (mainline) {
    table.queue(request_of(*mainline), now - 3600);
    auto claimed = table.claim("web-fixture", now - 3000, 3600);
    if (claimed) {
      bisect::BisectResult res;
      res.status = "found";
      res.good = "1111111111111111111111111111111111111111";
      res.bad = "2222222222222222222222222222222222222222";
      res.start = res.good;
      res.culprit = bisect::CommitInfo{"3333333333333333333333333333333333333333",
                                       "kci: probe: drop the device check",
                                       "A Developer <dev@example.org>",
                                       " drivers/kci/probe.c | 2 --\n 1 file changed",
                                       {"Signed-off-by: A Developer <dev@example.org>"}};
      res.verify = {"PASS", "culprit fails, parent passes"};
      res.revert = {"PASS", "the revert passes"};
      res.confidence = 0.95;
      res.bisect_steps = 2;
      res.commits_in_range = 3;
      bisect::StepRecord s1;
      s1.stage = "verify-good";
      s1.commit = res.good;
      s1.subject = "Linux 6.13-rc1";
      s1.build.status = bisect::Status::kPass;
      s1.runs = {{bisect::Status::kPass, "", 10}};
      s1.verdict = bisect::Verdict::kGood;
      s1.seconds = 120;
      bisect::StepRecord s2 = s1;
      s2.stage = "bisect";
      s2.commit = res.culprit->hash;
      s2.subject = res.culprit->subject;
      s2.runs = {{bisect::Status::kFail, "", 10}};
      s2.verdict = bisect::Verdict::kBad;
      res.steps = {s1, s2};
      res.bisect_log =
          "git bisect start\n# good: [1111111] Linux 6.13-rc1\n# first bad commit: "
          "[3333333] kci: probe: drop the device check\n";
      table.finish(claimed->id, res, "", now - 2000);
    }
  }
  if (hostile) {
    table.queue(request_of(*hostile), now - 1800);
    auto claimed = table.claim("web-fixture", now - 1700, 3600);
    if (claimed) {
      table.fail(claimed->id, "<script>window.__xss=30</script> \"onmouseover=\"window.__xss=31",
                 now - 1600);
    }
  }
}

// Every object's _timestamp at the fixture's clock (pages that show load
// times stay the same from run to run).
void stamp(report::Report& r, const std::string& when) {
  for (auto& o : r.checkouts) o.timestamp = when;
  for (auto& o : r.builds) o.timestamp = when;
  for (auto& o : r.tests) o.timestamp = when;
  for (auto& o : r.issues) o.timestamp = when;
  for (auto& o : r.incidents) o.timestamp = when;
}

}  // namespace

std::size_t load_fixture(const std::string& spec, const FixtureOptions& o) {
  auto store = store::open_store(spec);
  store->init(true);
  GeneratorOptions g = o.generator;
  g.now = o.now;
  const std::string when = format_rfc3339(o.now);
  store::LoadOptions keep;
  keep.with_metadata = true;
  auto load = [&](report::Report r) {
    stamp(r, when);
    store->load(std::move(r), keep);
  };
  std::size_t tests = generate(g, [&](report::Report& r) { load(r); });
  if (o.hostile) {
    load(hostile_report_before(o.now));
    load(hostile_report(o.now));
  }
  if (!o.artifacts.empty()) write_local_run(load, o);
  if (o.analysis) {
    auto sql = store::SqlConnection::open(store::parse_database_spec(spec));
    analysis::Analyzer analyzer(*store, *sql);
    analyzer.rebuild();
    if (o.bisections) {
      record_bisections(
          *sql, std::chrono::duration_cast<std::chrono::seconds>(o.now.time_since_epoch()).count());
    }
  }
  return tests;
}

}  // namespace kci::webtest
