// SPDX-License-Identifier: LGPL-2.1-or-later
// Issue 14: "a checkout's reports wait until its results have been quiet
// ... (and, under the orchestrator, until its scheduled jobs are done)".
// The notifier (src/notify) reads kci run's orch_nodes in the same
// database; here with the orchestrator's own NodeStore writing them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "notify/notifier.h"
#include "orchestrator/node_store.h"
#include "store/sql.h"
#include "store/store.h"

namespace kci::server {
namespace {

namespace fs = std::filesystem;

class OneReport : public notify::ReportSource {
 public:
  notify::CheckoutReports reports(const notify::CheckoutInfo& c) override {
    ++calls;
    notify::TestReport t;
    t.tree = c.tree;
    t.branch = c.branch;
    t.plan = "baseline";
    t.checkout_id = c.id;
    notify::TestRun run;
    run.platform = "qemu-x86_64";
    notify::TestCaseFailure f;
    f.path = "baseline.login";
    f.last_pass = "v6.1-rc1";
    run.failures.push_back(f);
    t.test_runs.push_back(run);
    notify::CheckoutReports out;
    out.tests.push_back(t);
    return out;
  }
  int calls = 0;
};

TEST(NotifyWaitsForJobs, AQuietCheckoutWaitsForItsUnfinishedNodes) {
  fs::path dir = fs::temp_directory_path() / ("kci-notify-wait-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto spec = store::parse_database_spec("sqlite:" + (dir / "kci.db").string());
  auto st = store::open_store(spec);
  st->init(true);
  auto db = store::SqlConnection::open(spec);
  report::Report r;
  report::Checkout co;
  co.id = "kci:c1";
  co.origin = "kci";
  co.tree_name = "mainline";
  co.git_repository_branch = "master";
  co.git_commit_hash = std::string(40, 'a');
  r.checkouts.push_back(co);
  st->load(r);

  notify::NotifierConfig config;
  notify::Subscription s;
  s.name = "tests";
  s.tree = "mainline";
  s.to = {notify::Address{"", "tests@example.org"}};
  config.subscriptions = {s};
  config.quiet_seconds = 10;
  notify::Notifier n(*db, config);
  OneReport source;
  EXPECT_FALSE(n.jobs_pending("kci:c1"));  // no orchestrator in this database yet

  orchestrator::NodeStore::migrate(*db);
  orchestrator::NodeStore nodes(*db);
  orchestrator::NewNode checkout;  // stays available: it takes new builds
  checkout.name = "mainline-master";
  checkout.data = {{"tree", "mainline"}, {"commit", std::string(40, 'a')}};
  auto [checkout_id, created] = nodes.create(checkout);
  ASSERT_TRUE(created);
  orchestrator::NewNode job;
  job.kind = orchestrator::NodeKind::kJob;
  job.parent = checkout_id;
  job.name = "baseline";
  job.state = orchestrator::NodeState::kRunning;
  auto [job_id, job_created] = nodes.create(job);
  ASSERT_TRUE(job_created);
  n.touch("kci:c1", 1000);
  EXPECT_TRUE(n.jobs_pending("kci:c1"));
  EXPECT_EQ(n.process(source, 5000), 0);  // quiet, but its job runs
  EXPECT_EQ(source.calls, 0);
  EXPECT_EQ(n.quiet_checkouts(5000).size(), 1u);  // still pending
  db->exec("UPDATE orch_nodes SET state = 'done' WHERE id = $1", {std::to_string(job_id)});
  EXPECT_FALSE(n.jobs_pending("kci:c1"));
  EXPECT_EQ(n.process(source, 5001), 1);
  EXPECT_EQ(source.calls, 1);
  EXPECT_TRUE(n.quiet_checkouts(6000).empty());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kci::server
