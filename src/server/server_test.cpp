// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gtest/gtest.h>

#include <filesystem>

#include "ingest/metrics.h"
#include "server/server.h"
#include "server/submission.h"
#include "server/tokens.h"
#include "util/file.h"

namespace kci::server {
namespace {

namespace fs = std::filesystem;
using ingest::Metrics;
using ingest::RejectReason;

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
  SubmissionCheck invalid =
      check_submission(R"({"version":{"major":5,"minor":3},"checkouts":[{"id":"a:1"}]})", only_a);
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
