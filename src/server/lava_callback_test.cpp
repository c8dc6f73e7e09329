// SPDX-License-Identifier: LGPL-2.1-or-later
// LAVA's notify callback into the store: the real callback of LAVA job
// 370874 (tests/runtime/fixtures/lava, a copy of the shared KernelCI
// fixture), as JSON and as a form, loaded through ingest; the KCIDB tests
// stored are the golden file testdata/lava-callback.expected.json
// (scripts/update-golden.sh). A kci run job node named by the callback is
// finished with the job's result; bad bodies are refused naming where.
#include "server/lava_callback.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "orchestrator/node_store.h"
#include "report/json.h"
#include "report/model.h"
#include "store/sql.h"
#include "store/store.h"
#include "util/error.h"
#include "util/file.h"
#include "util/test_support.h"
#include "util/text.h"

namespace kci::server {
namespace {

namespace fs = std::filesystem;

const fs::path kFixture = fs::path(KCI_SOURCE_DIR) / "tests" / "runtime" / "fixtures" / "lava" /
                          "lava-callback-meson-gxbb-p200.json";
const fs::path kGolden =
    fs::path(KCI_SOURCE_DIR) / "src" / "server" / "testdata" / "lava-callback.expected.json";

class LavaCallbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kci-lava-callback-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    spec_ = store::parse_database_spec("sqlite:" + (dir_ / "kci.sqlite").string());
    store_ = store::open_store(spec_);
    store_->init();
    sql_ = store::SqlConnection::open(spec_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Every test of the store as one v5.3 report, without load metadata.
  std::string stored_tests() {
    store::QueryIds ids;
    std::vector<std::string> all;
    sql_->exec("SELECT id FROM tests ORDER BY id", {},
               [&](const store::SqlRow& r) { ids.tests.emplace_back(r.text(0)); });
    report::Report r = store_->query(ids, {});
    json::Document doc;
    report::to_json(r, doc, false);
    return json::write(doc, 2) + "\n";
  }

  // The fixture as LAVA's urlencoded dataset: one field per member, the
  // objects as JSON text.
  static std::string as_form(const std::string& json_body) {
    json::Document doc;
    doc.Parse(json_body.c_str());
    std::string form;
    for (const auto& m : doc.GetObject()) {
      std::string value = m.value.IsString() ? std::string(json::str(m.value))
                          : m.value.IsNull() ? ""
                                             : json::write(m.value);
      if (!form.empty()) form += "&";
      form += percent_encode(json::str(m.name), "-_.~") + "=" + percent_encode(value, "-_.~");
    }
    return form;
  }

  fs::path dir_;
  store::DatabaseSpec spec_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::SqlConnection> sql_;
};

using Golden = LavaCallbackTest;

TEST_F(Golden, LavaCallbackTestsFromJsonAndFormBodies) {
  std::string body = read_file(kFixture);
  LavaCallbackRequest json_request;
  json_request.body = body;
  json_request.content_type = "application/json";
  json_request.origin = "lab";
  json_request.build_id = "kci:next-20201119-arm64-defconfig-gcc-8";
  LavaCallbackOutcome out = handle_lava_callback(json_request, *store_, *sql_);
  EXPECT_EQ(out.job_id, 370874);
  EXPECT_EQ(out.status, "complete");
  EXPECT_EQ(out.tests, 5u);
  EXPECT_EQ(out.node_result, "");
  std::string from_json = stored_tests();
  EXPECT_TRUE(kci::testing::check_golden(kGolden, from_json));

  // The same job as a form: the same tests (the store holds them once).
  LavaCallbackRequest form_request = json_request;
  form_request.body = as_form(body);
  form_request.content_type = "application/x-www-form-urlencoded; charset=utf-8";
  EXPECT_EQ(lava_callback_json(form_request.body, form_request.content_type).size() > 0, true);
  out = handle_lava_callback(form_request, *store_, *sql_);
  EXPECT_EQ(out.job_id, 370874);
  EXPECT_EQ(out.tests, 5u);
  EXPECT_EQ(stored_tests(), from_json);
}

TEST_F(LavaCallbackTest, FinishesTheRunningJobNodeItNames) {
  orchestrator::NodeStore::migrate(*sql_);
  orchestrator::NodeStore nodes(*sql_);
  orchestrator::NewNode job;
  job.kind = orchestrator::NodeKind::kJob;
  job.parent = 7;
  job.name = "baseline@meson-gxbb-p200";
  job.data = {{"build_id", "kci:b1"}, {"plan", "baseline"}};
  auto [id, created] = nodes.create(job);
  ASSERT_TRUE(nodes.claim({orchestrator::NodeKind::kJob}, "lava-submitter:1"));

  LavaCallbackRequest request;
  request.body = read_file(kFixture);
  request.origin = "lab";
  request.node_id = id;
  LavaCallbackOutcome out = handle_lava_callback(request, *store_, *sql_);
  // dmesg.emerg fails in this job: the node fails.
  EXPECT_EQ(out.node_result, "fail");
  auto node = nodes.get(id);
  ASSERT_TRUE(node);
  EXPECT_EQ(node->state, orchestrator::NodeState::kDone);
  EXPECT_EQ(node->get("lava_job_id"), "370874");
  EXPECT_EQ(nodes.children(id).size(), 5u);
  // The tests hang off the node's build.
  std::int64_t n = 0;
  sql_->exec("SELECT COUNT(*) FROM tests WHERE build_id = 'kci:b1'", {},
             [&](const store::SqlRow& r) { n = r.integer(0); });
  EXPECT_EQ(n, 5);
  // Again (LAVA retries a callback): the node stays as it is.
  EXPECT_EQ(handle_lava_callback(request, *store_, *sql_).node_result, "");

  request.node_id = 999;
  EXPECT_THROW(handle_lava_callback(request, *store_, *sql_), InvalidInputError);
}

TEST(LavaCallbackBody, BadBodiesAreRefusedNamingWhere) {
  auto message = [](const std::string& body, const std::string& type) {
    try {
      lava_callback_json(body, type);
    } catch (const InvalidInputError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message("id=1&results=%7Bnot", "application/x-www-form-urlencoded")
                .find("form field 'results' is not a JSON object"),
            std::string::npos);
  EXPECT_NE(
      message("id=1&id=2", "application/x-www-form-urlencoded").find("form field 'id' is repeated"),
      std::string::npos);
  EXPECT_NE(message("x", "text/plain").find("unsupported Content-Type text/plain"),
            std::string::npos);
  EXPECT_EQ(lava_callback_json("id=12&status=2&status_string=complete&lab_name=a+b",
                               "application/x-www-form-urlencoded"),
            R"({"id":12,"status":2,"status_string":"complete","lab_name":"a b"})");
  // A JSON body is passed on as it is; the parser names what is missing.
  LavaCallbackRequest r;
  r.body = "[1]";
  r.origin = "lab";
  r.build_id = "kci:b";
  char tmpl[] = "/tmp/kci-lava-callback-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  auto spec = store::parse_database_spec(std::string("sqlite:") + tmpl + "/kci.sqlite");
  auto s = store::open_store(spec);
  s->init();
  auto sql = store::SqlConnection::open(spec);
  try {
    handle_lava_callback(r, *s, *sql);
    ADD_FAILURE() << "a JSON array was accepted";
  } catch (const InvalidInputError& e) {
    EXPECT_NE(std::string(e.what()).find("not a JSON object"), std::string::npos) << e.what();
  }
  r.body = R"({"status": 2})";
  try {
    handle_lava_callback(r, *s, *sql);
    ADD_FAILURE() << "a body without id was accepted";
  } catch (const InvalidInputError& e) {
    EXPECT_NE(std::string(e.what()).find("no job \"id\""), std::string::npos) << e.what();
  }
  fs::remove_all(tmpl);
}

}  // namespace
}  // namespace kci::server
