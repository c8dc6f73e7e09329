// SPDX-License-Identifier: LGPL-2.1-or-later
// The node tables as Prometheus metrics, on both drivers: counts by kind,
// state and result, the log position and scheduler lag, expired claims and
// the runtime health (share of attempts that failed on infrastructure).
#include "orchestrator/metrics.h"

#include <gtest/gtest.h>

#include "orchestrator/node_store.h"
#include "orchestrator/test_fixture.h"

namespace kci::orchestrator {
namespace {

using testing::DriverTest;

class NodeMetricsTest : public DriverTest {};

NewNode node(NodeKind kind, std::int64_t parent, const std::string& name,
             std::map<std::string, std::string> data = {}) {
  NewNode n;
  n.kind = kind;
  n.parent = parent;
  n.name = name;
  n.timeout_seconds = 60;
  n.data = std::move(data);
  return n;
}

TEST_P(NodeMetricsTest, CountsLagExpiredClaimsAndRuntimeHealth) {
  Millis now = 1'000'000;
  NodeStore nodes(*sql_, [&now] { return now; });
  auto [checkout, c1] = nodes.create(node(NodeKind::kCheckout, 0, "mainline/master@abc"));
  nodes.create(node(NodeKind::kKbuild, checkout, "kbuild-a"));
  nodes.create(node(NodeKind::kKbuild, checkout, "kbuild-b"));
  nodes.create(node(NodeKind::kKbuild, checkout, "kbuild-c"));

  // kbuild-a: an infrastructure error, retried, then a pass.
  auto a = nodes.claim({NodeKind::kKbuild}, "w1");
  ASSERT_TRUE(a);
  Finish retry;
  retry.state = NodeState::kAvailable;
  retry.retry = true;
  ASSERT_TRUE(nodes.finish(a->id, "w1", retry));
  a = nodes.claim({NodeKind::kKbuild}, "w1");
  ASSERT_TRUE(a && a->name == "kbuild-a");
  Finish pass;
  pass.result = NodeResult::kPass;
  ASSERT_TRUE(nodes.finish(a->id, "w1", pass));
  // kbuild-b: done, incomplete (an infrastructure failure at the end).
  auto b = nodes.claim({NodeKind::kKbuild}, "w1");
  Finish incomplete;
  incomplete.result = NodeResult::kIncomplete;
  ASSERT_TRUE(b && nodes.finish(b->id, "w1", incomplete));
  // A job of kbuild-a on runtime lab-x fails (the kernel's fault).
  nodes.create(node(NodeKind::kJob, a->id, "baseline@qemu", {{"runtime", "lab-x"}}));
  auto j = nodes.claim({NodeKind::kJob}, "w2");
  Finish fail;
  fail.result = NodeResult::kFail;
  ASSERT_TRUE(j && nodes.finish(j->id, "w2", fail));
  // kbuild-c: claimed, and its claim (60 s) has expired two minutes later.
  ASSERT_TRUE(nodes.claim({NodeKind::kKbuild}, "w3"));
  now += 120'000;
  nodes.set_cursor("scheduler", 4);

  std::string text;
  render_node_metrics(*sql_, now, text);
  // events: 5 creations, 2 + 1 + 1 + 1 claims, 2 + 1 + 1 finishes.
  std::string expected =
      "# HELP kci_nodes kci run's nodes by kind, state and result.\n"
      "# TYPE kci_nodes gauge\n"
      "kci_nodes{kind=\"checkout\",state=\"available\",result=\"\"} 1\n"
      "kci_nodes{kind=\"job\",state=\"done\",result=\"fail\"} 1\n"
      "kci_nodes{kind=\"kbuild\",state=\"done\",result=\"incomplete\"} 1\n"
      "kci_nodes{kind=\"kbuild\",state=\"done\",result=\"pass\"} 1\n"
      "kci_nodes{kind=\"kbuild\",state=\"running\",result=\"\"} 1\n"
      "# HELP kci_node_events The last position of kci run's node-transition log.\n"
      "# TYPE kci_node_events counter\n"
      "kci_node_events 14\n"
      "# HELP kci_scheduler_lag Node transitions a scheduler has not handled yet.\n"
      "# TYPE kci_scheduler_lag gauge\n"
      "kci_scheduler_lag{service=\"scheduler\"} 10\n"
      "# HELP kci_claims_expired Running nodes whose claim deadline has passed.\n"
      "# TYPE kci_claims_expired gauge\n"
      "kci_claims_expired 1\n"
      "# HELP kci_runtime_attempts Attempts of the 200 most recently finished kbuild and job "
      "nodes.\n"
      "# TYPE kci_runtime_attempts gauge\n"
      "kci_runtime_attempts{kind=\"job\",runtime=\"lab-x\"} 1\n"
      "kci_runtime_attempts{kind=\"kbuild\",runtime=\"local\"} 3\n"
      "# HELP kci_runtime_infrastructure_failures Of those, attempts that failed on "
      "infrastructure (retried, or incomplete at the end).\n"
      "# TYPE kci_runtime_infrastructure_failures gauge\n"
      "kci_runtime_infrastructure_failures{kind=\"job\",runtime=\"lab-x\"} 0\n"
      "kci_runtime_infrastructure_failures{kind=\"kbuild\",runtime=\"local\"} 2\n"
      "# HELP kci_runtime_infrastructure_failure_ratio Their share (0: healthy).\n"
      "# TYPE kci_runtime_infrastructure_failure_ratio gauge\n"
      "kci_runtime_infrastructure_failure_ratio{kind=\"job\",runtime=\"lab-x\"} 0.0000\n"
      "kci_runtime_infrastructure_failure_ratio{kind=\"kbuild\",runtime=\"local\"} 0.6667\n";
  EXPECT_EQ(text, expected);

  // Only the most recent finished nodes count.
  std::vector<RuntimeHealth> last = runtime_health(*sql_, 1);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].kind, "job");
}

TEST(NodeMetrics, NothingWithoutNodeTablesAndLabelsEscaped) {
  testing::TempDir dir;
  store::DatabaseSpec spec = store::parse_database_spec("sqlite:" + dir.path() + "/empty.sqlite");
  store::open_store(spec)->init();
  auto sql = store::SqlConnection::open(spec);
  std::string text;
  render_node_metrics(*sql, 0, text);
  EXPECT_EQ(text, "");
  EXPECT_EQ(prometheus_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

INSTANTIATE_TEST_SUITE_P(Drivers, NodeMetricsTest,
                         ::testing::Values(store::Driver::kSqlite, store::Driver::kPostgresql),
                         testing::driver_name);

}  // namespace
}  // namespace kci::orchestrator
