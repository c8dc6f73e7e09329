// SPDX-License-Identifier: LGPL-2.1-or-later
// Email report figures (docs/performance.md, "Email reports"); run by hand:
//   build/bench/notify_bench [--mails N] [--tests N] [--live-tests N] [--deliveries N]
// 1. render + compose + RFC 5322 text per mail (the golden test report);
// 2. the reports of one checkout of --tests tests (default 50,000): group
//    the test results into runs, narrow for three subscriptions, render;
// 3. the live path for one checkout of about --live-tests tests (default
//    50,000): generated history (src/analysis/generator.h, 4 checkouts of
//    one branch) loaded through ingest and analysed in a SQLite file, then
//    AnalysisReportSource::reports (regressions, known issues, unstable
//    tests, summary counts from the analysis tables) + narrow + render;
// 4. delivery to a local SMTP server (python3-aiosmtpd) over one libcurl
//    connection, mails/s.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "analysis/analyzer.h"
#include "analysis/generator.h"
#include "bench_util.h"
#include "ingest/loader.h"
#include "notify/analysis_source.h"
#include "notify/mail.h"
#include "notify/outbox.h"
#include "notify/report_json.h"
#include "notify/smtp_sink.h"
#include "notify/subscriptions.h"
#include "notify/transport.h"
#include "store/store.h"
#include "util/file.h"

using namespace kci::notify;
using namespace kci::bench;

namespace {

MailContext context() {
  MailContext c;
  c.subscription = "bench";
  c.from = {"kci", "bot@kci.example.org"};
  c.to = {{"", "list@example.org"}};
  c.domain = "kci.example.org";
  c.date = 1796587200;
  return c;
}

// One test result as the analysis layer would hand it over.
struct TestResult {
  std::string platform, arch, path, status, last_pass;
};

TestReport checkout_report(const std::vector<TestResult>& tests) {
  TestReport r;
  r.tree = "mainline";
  r.branch = "master";
  r.plan = "kselftest";
  r.describe = "v6.13-rc1";
  r.url = "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git";
  r.sha = "40384c840ea1944d7c5a392e8975ed088ecf0b37";
  r.checkout_id = "kci:bench";
  r.details_url = "https://kci.example.org/checkout/kci:bench";
  std::map<std::string, std::size_t> run_of;
  for (const auto& t : tests) {
    auto [it, added] = run_of.try_emplace(t.platform, r.test_runs.size());
    if (added) {
      TestRun run;
      run.platform = t.platform;
      run.arch = t.arch;
      run.lab = "lab-bench";
      run.compiler = "gcc-12";
      run.defconfig = "defconfig";
      run.details_url = "https://kci.example.org/run/" + t.platform;
      r.test_runs.push_back(std::move(run));
    }
    TestRun& run = r.test_runs[it->second];
    if (t.status == "PASS") {
      ++run.pass;
    } else if (t.status == "SKIP") {
      ++run.skip;
    } else {
      ++run.fail;
      TestCaseFailure f;
      f.path = t.path;
      f.url = "https://kci.example.org/test/" + t.platform + "/" + t.path;
      f.last_pass = t.last_pass;
      f.first_fail = r.describe;
      f.log_lines = {"[   12.345678] kselftest: " + t.path + " failed"};
      run.failures.push_back(std::move(f));
    }
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  int mails = 2000, tests = 50000, deliveries = 500, live_tests = 50000;
  CLI::App app{
      "Email reports: render, queue, checkout reports, SMTP delivery, the live "
      "path (docs/performance.md, \"Email reports\")"};
  app.add_option("--mails", mails, "Mails rendered and queued")->capture_default_str();
  app.add_option("--tests", tests, "Tests of the checkout report")->capture_default_str();
  app.add_option("--deliveries", deliveries, "Mails delivered to the SMTP sink")
      ->capture_default_str();
  app.add_option("--live-tests", live_tests, "Tests of the live-path checkout")
      ->capture_default_str();
  parse_args(app, argc, argv);
  std::string src = KCI_SOURCE_DIR;

  // 1. Render one mail.
  ReportInput in = parse_report_input(kci::read_file(src + "/src/notify/testdata/test_report.json"),
                                      "test_report.json");
  std::size_t bytes = 0;
  auto t0 = Clock::now();
  for (int i = 0; i < mails; ++i) {
    RenderedReport r = render_input(in);
    MailContext c = context();
    c.date += i;
    bytes += render_message(compose_mail(r, c)).size();
  }
  double render_ms = ms_since(t0);
  std::printf("render: %d test-report mails in %.1f ms: %.3f ms/mail (%zu bytes each)\n", mails,
              render_ms, render_ms / mails, bytes / static_cast<std::size_t>(mails));

  // 1b. Render + queue into the outbox (SQLite file), each mail its own
  //     transaction, as the notifier does.
  {
    auto qdir =
        std::filesystem::temp_directory_path() / ("kci-notify-bench-q-" + std::to_string(getpid()));
    std::filesystem::create_directories(qdir);
    auto spec = kci::store::parse_database_spec("sqlite:" + (qdir / "kci.db").string());
    kci::store::open_store(spec)->init(true);
    auto db = kci::store::SqlConnection::open(spec);
    Outbox box(*db);
    auto tq = Clock::now();
    for (int i = 0; i < mails; ++i) {
      RenderedReport r = render_input(in);
      MailContext c = context();
      c.subscription = "bench" + std::to_string(i);
      box.queue(r, c);
    }
    double q_ms = ms_since(tq);
    std::printf("render + queue (SQLite): %d mails in %.1f ms: %.3f ms/mail\n", mails, q_ms,
                q_ms / mails);
    db.reset();
    std::filesystem::remove_all(qdir);
  }

  // 2. The reports of one checkout of `tests` tests: 250 platforms, 1% of
  //    the tests failing (half of them regressions), 2% skipped.
  std::vector<TestResult> results;
  results.reserve(tests);
  for (int i = 0; i < tests; ++i) {
    TestResult t;
    int p = i % 250;
    t.platform = "platform-" + std::to_string(p);
    t.arch = p % 3 == 0 ? "arm64" : p % 3 == 1 ? "x86_64" : "riscv";
    t.path = "kselftest.suite" + std::to_string(i / 250 % 40) + ".case" + std::to_string(i / 250);
    t.status = i % 100 == 7 ? "FAIL" : i % 50 == 3 ? "SKIP" : "PASS";
    if (t.status == "FAIL" && i % 200 == 7) t.last_pass = "v6.12";
    results.push_back(std::move(t));
  }
  auto subs = parse_subscriptions(
      "subscriptions:\n"
      "  - {name: all, tree: mainline, to: [a@example.org]}\n"
      "  - {name: arm64, architecture: [arm64], to: [b@example.org]}\n"
      "  - {name: suite1, test_path: 'kselftest.suite1.*', to: [c@example.org]}\n",
      "bench.yaml");
  double best = 1e9;
  std::size_t out_bytes = 0;
  int regressions = 0;
  for (int round = 0; round < 5; ++round) {
    auto t1 = Clock::now();
    TestReport report = checkout_report(results);
    regressions = regression_count(report);
    out_bytes = 0;
    for (const auto& s : subs) {
      RenderedReport r = render_test_report(narrow_test_report(report, s));
      out_bytes += render_message(compose_mail(r, context())).size();
    }
    best = std::min(best, ms_since(t1));
  }
  std::printf(
      "checkout: %d tests (%d regressions), 3 subscriptions: %.1f ms best of 5 "
      "(group + narrow + render, %zu bytes of mail)\n",
      tests, regressions, best, out_bytes);

  // 3. The live path: the analysis tables of a generated branch.
  if (live_tests > 0) {
    kci::analysis::GenOptions g;
    g.trees = 1;
    g.branches = 1;
    g.checkouts = 4;
    g.architectures = 2;
    g.configs = 2;
    g.build_only_configs = 0;
    g.platforms = 10;                                      // per architecture
    g.paths = std::max(1, live_tests / (2 * 2 * 10) + 1);  // per platform
    // About 1% of the identities change (section 2's share), not the
    // generator's defaults (6% regressions) made to exercise the analysis.
    g.p_regression = 0.005;
    g.p_fix = 0.003;
    g.p_never = 0.002;
    g.p_unstable = 0.003;
    g.p_skip = 0.02;
    g.p_appear = 0.003;
    g.p_disappear = 0.002;
    auto ldir = std::filesystem::temp_directory_path() /
                ("kci-notify-bench-live-" + std::to_string(getpid()));
    std::filesystem::create_directories(ldir);
    auto spec = kci::store::parse_database_spec("sqlite:" + (ldir / "kci.db").string());
    auto store = kci::store::open_store(spec);
    store->init(true);
    auto db = kci::store::SqlConnection::open(spec);
    std::string last;
    std::size_t last_tests = 0;
    auto tl = Clock::now();
    {
      kci::ingest::Loader loader(*store);
      kci::analysis::Generator(g).run([&](kci::report::Report& r) {
        last = r.checkouts.front().id.value_or("");
        last_tests = r.tests.size();
        loader.load(r);
      });
      kci::analysis::Analyzer(*store, *db).rebuild();
    }
    std::printf("live: %zu tests in the last of 4 checkouts, loaded and analysed in %.1f s\n",
                last_tests, ms_since(tl) / 1000);
    AnalysisReportSource source(*store, *db, "https://kci.example.org");
    CheckoutInfo c{last, "", "", "", {}, ""};
    double best_live = 1e9, best_source = 1e9;
    std::size_t live_bytes = 0, reports = 0, unstable = 0;
    int live_regressions = 0;
    for (int round = 0; round < 5; ++round) {
      auto t = Clock::now();
      CheckoutReports rs = source.reports(c);
      best_source = std::min(best_source, ms_since(t));
      live_bytes = 0;
      live_regressions = 0;
      unstable = 0;
      reports = rs.tests.size();
      for (const auto& tr : rs.tests) {
        live_regressions += regression_count(tr);
        unstable += tr.unstable.size();
        for (const auto& s : subs) {
          RenderedReport r = render_test_report(narrow_test_report(tr, s));
          live_bytes += render_message(compose_mail(r, context())).size();
        }
      }
      best_live = std::min(best_live, ms_since(t));
    }
    std::printf(
        "live: reports of that checkout (%zu plans, %d regressions, %zu unstable listed apart, "
        "build report, new issues), 3 subscriptions: %.1f ms best of 5 (of which "
        "AnalysisReportSource::reports %.1f ms; %zu bytes of test mail)\n",
        reports, live_regressions, unstable, best_live, best_source, live_bytes);
    db.reset();
    store.reset();
    std::filesystem::remove_all(ldir);
  }

  // 4. Delivery to a local SMTP server.
  if (!testing::aiosmtpd_available()) {
    std::printf("smtp: skipped (python3-aiosmtpd not installed)\n");
    return 0;
  }
  auto dir =
      std::filesystem::temp_directory_path() / ("kci-notify-bench-" + std::to_string(getpid()));
  {
    testing::SmtpSink sink(src + "/src/notify/testdata/smtp_sink.py", dir);
    SmtpOptions o;
    o.url = sink.url();
    auto smtp = smtp_transport(o);
    RenderedReport r = render_input(in);
    std::vector<std::string> messages;
    for (int i = 0; i < deliveries; ++i) {
      MailContext c = context();
      c.subscription = "bench" + std::to_string(i);
      messages.push_back(render_message(compose_mail(r, c)));
    }
    auto t2 = Clock::now();
    for (const auto& m : messages) smtp->send({"bot@kci.example.org", {"list@example.org"}}, m);
    double ms = ms_since(t2);
    std::size_t received = sink.messages().size();
    std::printf("smtp: %d mails in %.1f ms: %.0f mails/s (server received %zu)\n", deliveries, ms,
                deliveries * 1000.0 / ms, received);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
