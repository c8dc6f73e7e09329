// SPDX-License-Identifier: LGPL-2.1-or-later
// kci run's hook: an applied series becomes a checkout node whose source
// tree has the series applied; a refused one makes none. kci run's replies:
// a refused series is answered at once, an applied one only once every node
// below its checkout node is done, the scheduler has read their transitions
// and the analysis the changes; once per series, also across a restart.
#include "inbox/run_hook.h"

#include <gtest/gtest.h>

#include "analysis/follow.h"
#include "inbox/test_archives.h"
#include "inbox/watcher.h"
#include "ingest/change_log.h"
#include "notify/outbox.h"
#include "pipeline/config/yaml_util.h"
#include "store/store.h"

namespace kci::inbox {
namespace {

using testing::fixture_messages;
using testing::TempDir;

TEST(InboxRunHook, AnAppliedSeriesBecomesACheckoutNode) {
  TempDir tmp;
  auto spec = store::parse_database_spec("sqlite:" + tmp.path() + "/kci.db");
  store::open_store(spec)->init(true);
  std::string repo = tmp.path() + "/net-next";
  testing::make_base_repo(repo);
  std::string archive = tmp.path() + "/netdev";
  append_to_archive(archive, fixture_messages({"series-v2.mbox", "does-not-apply.mbox"}));
  pipeline::PipelineConfig config;
  config.add_document(pipeline::load_yaml_string(R"(
trees:
  net-next: {url: 'file://)" + repo + R"('}
lists:
  netdev:
    archive: ')" + archive + R"('
    targets: [{tree: net-next, branch: main}]
)",
                                                 "t.yaml"),
                      "t.yaml");
  config.finish();
  auto sql = store::SqlConnection::open(spec);
  InboxState::migrate(*sql);
  orchestrator::NodeStore::migrate(*sql);
  InboxState state(*sql);
  orchestrator::NodeStore nodes(*sql);
  PollOptions o;
  o.state_dir = tmp.path() + "/state";
  o.now = 1796299200;
  std::vector<std::optional<std::int64_t>> ids;
  poll_list(config.lists().at("netdev"), config, state, o, [&](const HandledSeries& h) {
    ASSERT_TRUE(h.checkout);
    ids.push_back(submit_series_node(nodes, *h.checkout, config, "netdev", o.state_dir));
    if (h.record.status == "tested") {
      // The same series again: the same node.
      EXPECT_EQ(submit_series_node(nodes, *h.checkout, config, "netdev", o.state_dir), ids.back());
    }
  });
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_TRUE(ids[0]);   // v2 of the tidy series applied
  EXPECT_FALSE(ids[1]);  // the lone patch did not
  std::optional<orchestrator::Node> node = nodes.get(*ids[0]);
  ASSERT_TRUE(node);
  EXPECT_EQ(node->kind, orchestrator::NodeKind::kCheckout);
  EXPECT_EQ(node->data["tree"], "net-next");
  EXPECT_EQ(node->data["message_id"], "v2-cover@alice.example.org");
  EXPECT_EQ(node->data["kcidb_checkout"].rfind("kci:8714c550d713985dc7e1ee445e5dc699a4178995+", 0),
            0u);
  // The node's tree has the three patches applied (v2's patch 3: return 3).
  EXPECT_EQ(read_file(node->data["source_dir"] + "/drivers/foo.c"),
            "int foo(void)\n{\n\treturn 3;\n}\n");
  EXPECT_EQ(read_file(node->data["source_dir"] + "/net/core.c"),
            "int net_core(void)\n{\n\tint x = 0;\n\treturn 1;\n}\n");
}

// The pipeline configuration of the fixture tree and archive.
pipeline::PipelineConfig list_config(const std::string& repo, const std::string& archive) {
  pipeline::PipelineConfig config;
  config.add_document(pipeline::load_yaml_string(R"(
trees:
  net-next: {url: 'file://)" + repo + R"('}
lists:
  netdev:
    archive: ')" + archive + R"('
    targets: [{tree: net-next, branch: main}]
)",
                                                 "t.yaml"),
                      "t.yaml");
  config.finish();
  return config;
}

TEST(InboxRunHook, InPlaceSeriesBuildInTheTargetRepository) {
  TempDir tmp;
  auto spec = store::parse_database_spec("sqlite:" + tmp.path() + "/kci.db");
  store::open_store(spec)->init(true);
  std::string repo = tmp.path() + "/net-next";
  testing::make_base_repo(repo);
  std::string archive = tmp.path() + "/netdev";
  append_to_archive(archive, fixture_messages({"series-v2.mbox"}));
  pipeline::PipelineConfig config = list_config(repo, archive);
  RunPollOptions o;
  o.state_dir = tmp.path() + "/state";
  o.in_place = true;
  RunPollResult r = poll_lists_for_run(spec, config, o);
  EXPECT_EQ(r.series, 1);
  EXPECT_EQ(r.nodes, 1);
  auto sql = store::SqlConnection::open(spec);
  orchestrator::NodeStore nodes(*sql);
  std::vector<orchestrator::Node> checkouts =
      nodes.list(std::nullopt, orchestrator::NodeKind::kCheckout);
  ASSERT_EQ(checkouts.size(), 1u);
  EXPECT_EQ(checkouts[0].get("source_dir"), repo);
  // No worktree of the tree: the build checks the patched commit out in
  // the repository, which has it.
  EXPECT_FALSE(std::filesystem::exists(o.state_dir + "/worktrees"));
  EXPECT_EQ(run_checked({"git", "-C", repo, "cat-file", "-t", checkouts[0].get("commit")}),
            "commit");
  // A second poll finds nothing new.
  EXPECT_EQ(poll_lists_for_run(spec, config, o).series, 0);
}

TEST(InboxRunHook, RepliesWaitForTheSeriesWorkAndGoOutOnce) {
  TempDir tmp;
  auto spec = store::parse_database_spec("sqlite:" + tmp.path() + "/kci.db");
  store::open_store(spec)->init(true);
  std::string repo = tmp.path() + "/net-next";
  testing::make_base_repo(repo);
  std::string archive = tmp.path() + "/netdev";
  append_to_archive(archive, fixture_messages({"series-v2.mbox", "does-not-apply.mbox"}));
  pipeline::PipelineConfig config = list_config(repo, archive);
  RunPollOptions po;
  po.state_dir = tmp.path() + "/state";
  RunPollResult polled = poll_lists_for_run(spec, config, po);
  ASSERT_EQ(polled.series, 2);
  ASSERT_EQ(polled.nodes, 1);

  auto sql = store::SqlConnection::open(spec);
  orchestrator::NodeStore nodes(*sql);
  notify::Outbox outbox(*sql);
  ingest::ChangeLog log(*sql);
  RunReplyOptions ro;
  ro.from = {"kci", "kci@example.org"};
  ro.domain = "example.org";
  auto replier = std::make_unique<RunReplier>(ro);
  // The refused series at once; the applied one waits: the scheduler has
  // not read its checkout node yet.
  ReplyResult r = replier->round(*sql, 1796299200);
  EXPECT_EQ(r.queued, 1);
  EXPECT_EQ(r.waiting, 1);
  ASSERT_EQ(outbox.entries().size(), 1u);

  std::vector<orchestrator::Node> checkouts =
      nodes.list(std::nullopt, orchestrator::NodeKind::kCheckout);
  ASSERT_EQ(checkouts.size(), 1u);
  std::int64_t checkout = checkouts[0].id;
  // The scheduler's work: a build below the checkout, still to run.
  orchestrator::NewNode build;
  build.kind = orchestrator::NodeKind::kKbuild;
  build.parent = checkout;
  build.name = "kbuild-x86_64";
  nodes.create(build);
  nodes.set_cursor("scheduler", nodes.last_event());
  std::optional<SeriesRecord> tested;
  for (const SeriesRecord& s : InboxState(*sql).all_series()) {
    if (s.status == "tested") tested = s;
  }
  ASSERT_TRUE(tested);
  EXPECT_FALSE(RunReplier::nodes_done(*sql, *tested));
  EXPECT_EQ(replier->round(*sql, 1796299200).queued, 0);
  // The build passes: done, but the scheduler has not read that yet (its
  // jobs may come).
  std::optional<orchestrator::Node> claimed = nodes.claim({orchestrator::NodeKind::kKbuild}, "t");
  ASSERT_TRUE(claimed);
  orchestrator::Finish f;
  f.result = orchestrator::NodeResult::kPass;
  ASSERT_TRUE(nodes.finish(claimed->id, "t", f));
  EXPECT_EQ(replier->round(*sql, 1796299200).queued, 0);
  EXPECT_FALSE(RunReplier::nodes_done(*sql, *tested));
  nodes.set_cursor("scheduler", nodes.last_event());
  EXPECT_TRUE(RunReplier::nodes_done(*sql, *tested));
  // Done and read; the analysis has not read the loads yet.
  ASSERT_GT(log.last_sequence(), 0u);
  r = replier->round(*sql, 1796299200);
  EXPECT_EQ(r.queued, 0);
  EXPECT_EQ(r.waiting, 1);
  log.advance(analysis::kAnalysisConsumer, log.last_sequence());
  r = replier->round(*sql, 1796299200);
  EXPECT_EQ(r.queued, 1);
  EXPECT_EQ(r.waiting, 0);
  std::vector<std::string> mails = outbox.due_messages(1796299200 + 10);
  ASSERT_EQ(mails.size(), 2u);
  bool threaded = false;
  for (const std::string& m : mails) {
    if (m.find("In-Reply-To: <v2-cover@alice.example.org>") != std::string::npos) threaded = true;
  }
  EXPECT_TRUE(threaded) << mails[0] << mails[1];
  // Answered once: another round, or a restarted kci run killed between
  // queuing and marking the series replied, queues nothing new.
  EXPECT_EQ(replier->round(*sql, 1796299300).queued, 0);
  sql->exec("UPDATE inbox_series SET replied = 0");
  replier = std::make_unique<RunReplier>(ro);
  replier->round(*sql, 1796299400);
  EXPECT_EQ(outbox.entries().size(), 2u);
  for (const SeriesRecord& s : InboxState(*sql).all_series()) EXPECT_TRUE(s.replied);
}

}  // namespace
}  // namespace kci::inbox
