// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gtest/gtest.h>

#include <filesystem>

#include "server/http_client.h"
#include "server/metrics.h"
#include "server/server.h"
#include "server/spool.h"
#include "server/submission.h"
#include "server/tokens.h"
#include "util/file.h"

namespace kci::server {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  fs::path dir = fs::path(KCI_BINARY_DIR) / "server_test" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(Spool, WalksASubmissionThroughItsStates) {
  Spool spool(fresh_dir("spool"));
  std::string id = new_submission_id();
  EXPECT_EQ(id.size(), 32u);
  EXPECT_TRUE(valid_submission_id(id));
  EXPECT_EQ(spool.state(id), SubmissionState::kNotFound);
  spool.write(id, "{}");
  EXPECT_EQ(spool.state(id), SubmissionState::kReady);
  EXPECT_EQ(spool.read(id), "{}");
  spool.archive(id);
  EXPECT_EQ(spool.state(id), SubmissionState::kProcessed);

  std::string bad = new_submission_id();
  spool.write(bad, "[]");
  spool.fail(bad, "not a report");
  std::string reason;
  EXPECT_EQ(spool.state(bad, &reason), SubmissionState::kFailed);
  EXPECT_EQ(reason, "not a report");
  EXPECT_STREQ(state_name(SubmissionState::kInProgress), "inprogress");
}

TEST(Spool, RecoverDropsUnfinishedWritesAndKeepsReadyOnes) {
  fs::path dir = fresh_dir("recover");
  {
    Spool spool(dir);
    spool.write("aaaa", "1");
    spool.write("bbbb", "2");
  }
  write_file_atomic((dir / "submission-cccc.json.temp").string(), "partial");
  Spool spool(dir);
  EXPECT_EQ(spool.state("cccc"), SubmissionState::kInProgress);
  auto ready = spool.recover();
  ASSERT_EQ(ready.size(), 2u);
  EXPECT_EQ(spool.state("cccc"), SubmissionState::kNotFound);
}

TEST(Spool, RecoverRewritesAcknowledgedSubmissionsFromTheJournal) {
  fs::path dir = fresh_dir("journal");
  {
    Spool spool(dir);
    spool.write("aaaa", "first");
    spool.write("bbbb", "second");
    spool.archive("aaaa");
  }
  // A crash lost the ready file's data (it is written without fsync).
  fs::remove(dir / "submission-bbbb.json");
  write_file_atomic((dir / "submission-cccc.json").string(), "no journal record");
  Spool spool(dir);
  auto ready = spool.recover();
  ASSERT_EQ(ready.size(), 2u);
  EXPECT_EQ(spool.read("bbbb"), "second");
  EXPECT_EQ(spool.state("aaaa"), SubmissionState::kProcessed);
  // Once everything in it is stored, the old segment goes.
  spool.archive("bbbb");
  spool.archive("cccc");
  spool.write("dddd", "next");
  std::size_t segments = 0;
  for (const auto& e : fs::directory_iterator(dir / "journal")) segments += e.is_regular_file();
  EXPECT_EQ(segments, 1u);
}

TEST(SubmissionId, RefusesWhatIsNotAlphanumeric) {
  EXPECT_FALSE(valid_submission_id(""));
  EXPECT_FALSE(valid_submission_id("../etc"));
  EXPECT_FALSE(valid_submission_id(std::string(65, 'a')));
  EXPECT_TRUE(valid_submission_id("Ab09"));
}

TEST(Tokens, BearerHeader) {
  EXPECT_EQ(bearer_token("Bearer abc"), "abc");
  EXPECT_EQ(bearer_token("bearer  abc "), "abc");
  EXPECT_EQ(bearer_token("Basic abc"), "");
  EXPECT_EQ(bearer_token("Bearer "), "");
  EXPECT_EQ(bearer_token("Bearer " + std::string(kMaxTokenBytes + 1, 'x')), "");
  TokenInfo info;
  info.origins = {"a"};
  EXPECT_TRUE(info.may_write("a"));
  EXPECT_FALSE(info.may_write("b"));
  info.admin = true;
  EXPECT_TRUE(info.may_write("b"));
}

TEST(RestTarget, ParsesKcidbRestForm) {
  RestTarget t = parse_rest_target("https://SECRET@kcidb.example.org:8443");
  EXPECT_EQ(t.base_url, "https://kcidb.example.org:8443");
  EXPECT_EQ(t.token, "SECRET");
  t = parse_rest_target("http://tok@127.0.0.1:8080/");
  EXPECT_EQ(t.base_url, "http://127.0.0.1:8080");
  EXPECT_EQ(parse_rest_target("http://[::1]:80").base_url, "http://[::1]:80");
  EXPECT_THROW(parse_rest_target("http://tok@example.org"), UsageError);
  EXPECT_THROW(parse_rest_target("ftp://x"), UsageError);
  EXPECT_THROW(parse_rest_target("example.org"), UsageError);
}

TEST(Listen, ParsesAddressAndPort) {
  std::string host;
  int port = 0;
  parse_listen("0.0.0.0:9000", host, port);
  EXPECT_EQ(host, "0.0.0.0");
  EXPECT_EQ(port, 9000);
  parse_listen("[::1]:0", host, port);
  EXPECT_EQ(host, "::1");
  EXPECT_THROW(parse_listen("8080", host, port), UsageError);
  EXPECT_THROW(parse_listen("a:99999", host, port), UsageError);
}

TEST(Metrics, RendersPrometheusText) {
  Metrics m;
  m.submissions_accepted = 3;
  m.reject(RejectReason::kForbidden);
  m.loaded(report::ObjectType::kTest, 50);
  m.ingest_latency.observe(0.003);
  std::string text = m.render();
  EXPECT_NE(text.find("kci_submissions_accepted_total 3\n"), std::string::npos);
  EXPECT_NE(text.find("kci_submissions_rejected_total{reason=\"forbidden\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("kci_objects_loaded_total{type=\"tests\"} 50\n"), std::string::npos);
  EXPECT_NE(text.find("kci_ingest_latency_seconds_bucket{le=\"0.005\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("kci_ingest_latency_seconds_bucket{le=\"+Inf\"} 1\n"), std::string::npos);
}

TEST(Submission, ChecksJsonValidityAndOrigins) {
  auto only_a = [](const std::string& o) { return o == "a"; };
  EXPECT_EQ(check_submission("{", only_a).http_status, 400);
  EXPECT_EQ(check_submission("{} {}", only_a).http_status, 400);
  SubmissionCheck invalid = check_submission(
      R"({"version":{"major":5,"minor":3},"checkouts":[{"id":"a:1"}]})", only_a);
  EXPECT_EQ(invalid.http_status, 400);
  ASSERT_FALSE(invalid.errors.empty());
  EXPECT_EQ(invalid.errors[0].pointer.rfind("/checkouts/0", 0), 0u) << invalid.errors[0].str();
  std::string mixed = R"({"version":{"major":5,"minor":3},"checkouts":[)"
                      R"({"id":"a:1","origin":"a"},{"id":"b:1","origin":"b"}]})";
  SubmissionCheck forbidden = check_submission(mixed, only_a);
  EXPECT_EQ(forbidden.http_status, 403);
  EXPECT_EQ(forbidden.forbidden_origins, std::vector<std::string>{"b"});
  SubmissionCheck ok = check_submission(mixed, [](const std::string&) { return true; });
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.objects, 2u);
  EXPECT_EQ(answer_json("x", "ok", "m"), R"({"id":"x","status":"ok","message":"m"})");
}

}  // namespace
}  // namespace kci::server
