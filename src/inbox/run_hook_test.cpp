// SPDX-License-Identifier: LGPL-2.1-or-later
// kci run's hook: an applied series becomes a checkout node whose source
// tree has the series applied; a refused one makes none.
#include "inbox/run_hook.h"

#include <gtest/gtest.h>

#include "inbox/test_archives.h"
#include "inbox/watcher.h"
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

}  // namespace
}  // namespace kci::inbox
