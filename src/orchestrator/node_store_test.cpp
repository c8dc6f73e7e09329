// SPDX-License-Identifier: LGPL-2.1-or-later
// The node tables on both drivers: idempotent creation, the transition log
// and cursors, atomic claims from concurrent connections, claims taken back.
#include "orchestrator/node_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mutex>
#include <set>
#include <thread>

#include "orchestrator/orchestrator.h"
#include "orchestrator/test_fixture.h"
#include "store/wakeup.h"

namespace kci::orchestrator {
namespace {

using testing::DriverTest;

NewNode kbuild(std::int64_t parent, const std::string& name, int timeout = 60) {
  NewNode n;
  n.kind = NodeKind::kKbuild;
  n.parent = parent;
  n.name = name;
  n.state = NodeState::kAvailable;
  n.timeout_seconds = timeout;
  n.data = {{"arch", "x86_64"}};
  return n;
}

class NodeStoreTest : public DriverTest {};

TEST(NodeNames, RoundTripAndRejectUnknown) {
  EXPECT_EQ(parse_state(state_name(NodeState::kClosing)), NodeState::kClosing);
  EXPECT_EQ(parse_kind("job"), NodeKind::kJob);
  EXPECT_EQ(result_name(NodeResult::kIncomplete), "incomplete");
  EXPECT_THROW(parse_result("ERROR"), InvalidInputError);
  EXPECT_EQ(data_from_json(data_to_json({{"a", "1"}, {"q\"", "x\ny"}})),
            (std::map<std::string, std::string>{{"a", "1"}, {"q\"", "x\ny"}}));
  EXPECT_THROW(data_from_json("[1]"), InvalidInputError);
}

TEST_P(NodeStoreTest, CreateIsIdempotentPerParentAndName) {
  NodeStore nodes(*sql_);
  auto [checkout, created] = nodes.create(
      {NodeKind::kCheckout, 0, "mainline/master@abc", NodeState::kAvailable, std::nullopt, {}, 60});
  EXPECT_TRUE(created);
  auto first = nodes.create(kbuild(checkout, "kbuild-x86"));
  auto again = nodes.create(kbuild(checkout, "kbuild-x86"));
  EXPECT_TRUE(first.second);
  EXPECT_FALSE(again.second);
  EXPECT_EQ(first.first, again.first);
  // The same name under another parent is another node.
  auto [other, _] = nodes.create(
      {NodeKind::kCheckout, 0, "mainline/master@def", NodeState::kAvailable, std::nullopt, {}, 60});
  EXPECT_TRUE(nodes.create(kbuild(other, "kbuild-x86")).second);
  // One event per node created, none for the repeat.
  std::vector<NodeEvent> events = nodes.events_after(0, 100);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[1].node_id, first.first);
  EXPECT_EQ(events[1].kind, NodeKind::kKbuild);
  EXPECT_EQ(events[1].state, NodeState::kAvailable);
  EXPECT_EQ(nodes.children(checkout).size(), 1u);
  std::optional<Node> n = nodes.get(first.first);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->get("arch"), "x86_64");
  EXPECT_EQ(n->parent, checkout);
  EXPECT_FALSE(n->result);
}

// Schedulers and workers of other processes wake when a transition
// commits (PostgreSQL NOTIFY on kci_nodes).
TEST_P(NodeStoreTest, TransitionsWakeListeners) {
  store::WakeupListener listener(spec_, {store::kNodesChannel});
  EXPECT_EQ(listener.listening(), GetParam() == store::Driver::kPostgresql);
  if (!listener.listening()) return;
  NodeStore nodes(*sql_);
  auto [checkout, created] = nodes.create(
      {NodeKind::kCheckout, 0, "mainline/master@abc", NodeState::kAvailable, std::nullopt, {}, 60});
  ASSERT_TRUE(created);
  EXPECT_TRUE(listener.wait(std::chrono::minutes(10)));
  // A repeat creates nothing and announces nothing.
  nodes.create(
      {NodeKind::kCheckout, 0, "mainline/master@abc", NodeState::kAvailable, std::nullopt, {}, 60});
  EXPECT_FALSE(listener.wait(std::chrono::milliseconds(200)));
  nodes.create(kbuild(checkout, "kbuild-x86"));
  EXPECT_TRUE(listener.wait(std::chrono::minutes(10)));
}

TEST_P(NodeStoreTest, CursorsAreDurablePerService) {
  {
    NodeStore nodes(*sql_);
    for (int i = 0; i < 5; ++i) nodes.create(kbuild(0, "k" + std::to_string(i)));
    EXPECT_EQ(nodes.cursor("scheduler"), 0);
    nodes.set_cursor("scheduler", 3);
    nodes.set_cursor("scheduler", 4);
    nodes.set_cursor("notify", 1);
  }
  auto other = store::SqlConnection::open(spec_);
  NodeStore nodes(*other);
  EXPECT_EQ(nodes.cursor("scheduler"), 4);
  EXPECT_EQ(nodes.cursor("notify"), 1);
  EXPECT_EQ(nodes.last_event(), 5);
  std::vector<NodeEvent> rest = nodes.events_after(4, 10);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].name, "k4");
}

TEST_P(NodeStoreTest, ClaimFinishAndOwnership) {
  Millis now = 1'000'000;
  NodeStore nodes(*sql_, [&] { return now; });
  auto [id, _] = nodes.create(kbuild(0, "k", 60));
  std::optional<Node> claimed = nodes.claim({NodeKind::kKbuild}, "me");
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->id, id);
  EXPECT_EQ(claimed->state, NodeState::kRunning);
  EXPECT_EQ(*claimed->deadline, now + 60'000);
  EXPECT_FALSE(nodes.claim({NodeKind::kKbuild}, "you"));
  EXPECT_FALSE(nodes.claim({NodeKind::kJob}, "you"));
  Finish f;
  f.result = NodeResult::kPass;
  f.data["build_id"] = "kci:b1";
  EXPECT_FALSE(nodes.finish(id, "you", f));
  EXPECT_TRUE(nodes.finish(id, "me", f));
  EXPECT_FALSE(nodes.finish(id, "me", f));  // no longer running
  std::optional<Node> done = nodes.get(id);
  EXPECT_EQ(done->state, NodeState::kDone);
  EXPECT_EQ(done->result, NodeResult::kPass);
  EXPECT_EQ(done->get("build_id"), "kci:b1");
  EXPECT_EQ(done->get("arch"), "x86_64");
  EXPECT_TRUE(done->owner.empty());
  // created available, running, done
  std::vector<NodeEvent> events = nodes.events_after(0, 10);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].state, NodeState::kDone);
  EXPECT_EQ(events[2].result, NodeResult::kPass);
}

TEST_P(NodeStoreTest, HoldoffDelaysAClaim) {
  Millis now = 1'000'000;
  NodeStore nodes(*sql_, [&] { return now; });
  auto [id, _] = nodes.create(kbuild(0, "k"));
  ASSERT_TRUE(nodes.claim({NodeKind::kKbuild}, "me"));
  Finish back;
  back.state = NodeState::kAvailable;
  back.retry = true;
  back.holdoff = now + 5000;
  ASSERT_TRUE(nodes.finish(id, "me", back));
  EXPECT_FALSE(nodes.claim({NodeKind::kKbuild}, "me"));
  now += 5000;
  std::optional<Node> again = nodes.claim({NodeKind::kKbuild}, "me");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->retries, 1);
}

TEST_P(NodeStoreTest, ExpiredClaimsGoBackUntilRetriesAreUsedUp) {
  Millis now = 1'000'000;
  NodeStore nodes(*sql_, [&] { return now; });
  auto [id, _] = nodes.create(kbuild(0, "k", 10));
  for (int attempt = 0; attempt < 2; ++attempt) {
    ASSERT_TRUE(nodes.claim({NodeKind::kKbuild}, "worker"));
    EXPECT_EQ(nodes.reclaim(2), 0u);  // not yet expired
    now += 10'001;
    EXPECT_EQ(nodes.reclaim(2), 1u);
    std::optional<Node> back = nodes.get(id);
    EXPECT_EQ(back->state, NodeState::kAvailable);
    EXPECT_EQ(back->retries, attempt + 1);
    EXPECT_NE(back->get("last_error").find("timed out"), std::string::npos);
    // The late worker cannot overwrite what the reaper did.
    EXPECT_FALSE(nodes.finish(id, "worker", Finish{}));
  }
  ASSERT_TRUE(nodes.claim({NodeKind::kKbuild}, "worker"));
  now += 10'001;
  EXPECT_EQ(nodes.reclaim(2), 1u);
  std::optional<Node> given_up = nodes.get(id);
  EXPECT_EQ(given_up->state, NodeState::kDone);
  EXPECT_EQ(given_up->result, NodeResult::kIncomplete);
  EXPECT_EQ(nodes.pending({NodeKind::kKbuild}), 0);
}

TEST_P(NodeStoreTest, ClaimsOfADeadLocalProcessAreTakenBack) {
  // A pid that is certainly gone: a child that exited and was reaped.
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  std::string dead =
      default_owner().substr(0, default_owner().rfind(':')) + ":" + std::to_string(child) + ":w0";
  std::string alive = default_owner() + ":w0";
  NodeStore nodes(*sql_);
  auto a = nodes.create(kbuild(0, "a"));
  auto b = nodes.create(kbuild(0, "b"));
  ASSERT_EQ(nodes.claim({NodeKind::kKbuild}, dead)->id, a.first);
  ASSERT_EQ(nodes.claim({NodeKind::kKbuild}, alive)->id, b.first);
  EXPECT_TRUE(owner_is_dead(dead, false));
  EXPECT_FALSE(owner_is_dead(alive, false));
  EXPECT_TRUE(owner_is_dead(alive, true));
  EXPECT_FALSE(owner_is_dead("elsewhere.example.org:1:w0", true));
  EXPECT_EQ(nodes.reclaim(2, [](const std::string& o) { return owner_is_dead(o, false); }), 1u);
  EXPECT_EQ(nodes.get(a.first)->state, NodeState::kAvailable);
  EXPECT_EQ(nodes.get(b.first)->state, NodeState::kRunning);
}

TEST_P(NodeStoreTest, ConcurrentClaimersNeverGetTheSameNode) {
  NodeStore setup(*sql_);
  constexpr int kNodes = 60;
  for (int i = 0; i < kNodes; ++i) setup.create(kbuild(0, "k" + std::to_string(i)));
  std::mutex m;
  std::vector<std::int64_t> claimed;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto sql = store::SqlConnection::open(spec_);
      NodeStore nodes(*sql);
      std::string owner = "claimer" + std::to_string(t);
      while (auto n = nodes.claim({NodeKind::kKbuild}, owner)) {
        Finish f;
        f.result = NodeResult::kPass;
        EXPECT_TRUE(nodes.finish(n->id, owner, f));
        std::lock_guard lock(m);
        claimed.push_back(n->id);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::int64_t> unique(claimed.begin(), claimed.end());
  EXPECT_EQ(claimed.size(), static_cast<std::size_t>(kNodes));
  EXPECT_EQ(unique.size(), static_cast<std::size_t>(kNodes));
  EXPECT_EQ(setup.pending({NodeKind::kKbuild}), 0);
}

INSTANTIATE_TEST_SUITE_P(Drivers, NodeStoreTest,
                         ::testing::Values(store::Driver::kSqlite, store::Driver::kPostgresql),
                         testing::driver_name);

}  // namespace
}  // namespace kci::orchestrator
