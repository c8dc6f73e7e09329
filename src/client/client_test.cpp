// SPDX-License-Identifier: LGPL-2.1-or-later
// The HTTP and submission clients against a real HTTP server (cpp-httplib)
// on loopback, answering as the test scripts it: retries and backoff, the
// --wait polling of /status and the exit policy of `kci submit`.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/http_client.h"
#include "client/retry.h"
#include "client/submission_client.h"

namespace kci::client {
namespace {

using std::chrono::milliseconds;

void wait_until_running(httplib::Server& server) {
  while (!server.is_running()) std::this_thread::sleep_for(milliseconds(1));
}

// A scripted KCIDB REST service: /submit and /status answer from queues of
// (status, body) pairs; the last answer of a queue repeats. Records what it
// was sent.
class ScriptedService {
 public:
  using Answer = std::pair<int, std::string>;

  ScriptedService() {
    server_.Post("/submit", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      submitted_bodies_.push_back(req.body);
      authorizations_.push_back(req.get_header_value("Authorization"));
      reply(submit_answers_, submit_calls_++, res);
    });
    server_.Get("/status", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      status_ids_.push_back(req.get_param_value("id"));
      reply(status_answers_, status_calls_++, res);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    wait_until_running(server_);
  }
  ~ScriptedService() {
    server_.stop();
    thread_.join();
  }

  void on_submit(std::vector<Answer> answers) { submit_answers_ = std::move(answers); }
  void on_status(std::vector<Answer> answers) { status_answers_ = std::move(answers); }
  RestTarget target(const std::string& token = "s3cret") const {
    return {"http://127.0.0.1:" + std::to_string(port_), token};
  }
  int submit_calls() {
    std::lock_guard lock(mutex_);
    return submit_calls_;
  }
  int status_calls() {
    std::lock_guard lock(mutex_);
    return status_calls_;
  }
  std::vector<std::string> submitted_bodies() {
    std::lock_guard lock(mutex_);
    return submitted_bodies_;
  }
  std::vector<std::string> authorizations() {
    std::lock_guard lock(mutex_);
    return authorizations_;
  }
  std::vector<std::string> status_ids() {
    std::lock_guard lock(mutex_);
    return status_ids_;
  }

 private:
  static void reply(const std::vector<Answer>& answers, int call, httplib::Response& res) {
    if (answers.empty()) {
      res.status = 404;
      return;
    }
    const Answer& a = answers[std::min<std::size_t>(call, answers.size() - 1)];
    res.status = a.first;
    res.set_content(a.second, "application/json");
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::vector<Answer> submit_answers_, status_answers_;
  int submit_calls_ = 0, status_calls_ = 0;
  std::vector<std::string> submitted_bodies_, authorizations_, status_ids_;
};

// A retry policy that records its delays instead of sleeping.
struct RecordedPolicy {
  std::vector<milliseconds> delays;
  SubmissionOptions options(int attempts, milliseconds initial, milliseconds max) {
    SubmissionOptions o;
    o.retry.attempts = attempts;
    o.retry.initial_delay = initial;
    o.retry.max_delay = max;
    o.retry.sleep = [this](milliseconds d) { delays.push_back(d); };
    o.first_poll = milliseconds(1);
    o.max_poll = milliseconds(4);
    return o;
  }
};

const char* kAccepted = R"({"id":"sub-1","status":"ready"})";

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

TEST(RestTarget, TokenFileAndEnvironment) {
  EXPECT_THROW(resolve_rest_target(std::string("http://127.0.0.1:1"), std::nullopt), UsageError);
  ::setenv("KCIDB_REST", "http://envtok@127.0.0.1:2", 1);
  RestTarget from_env = resolve_rest_target(std::nullopt, std::nullopt);
  EXPECT_EQ(from_env.token, "envtok");
  EXPECT_EQ(from_env.base_url, "http://127.0.0.1:2");
  ::unsetenv("KCIDB_REST");
  EXPECT_THROW(resolve_rest_target(std::nullopt, std::nullopt), UsageError);
  std::string path = testing::TempDir() + "/kci-client-token";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("filetok \n", f);
    std::fclose(f);
  }
  EXPECT_EQ(resolve_rest_target(std::string("http://127.0.0.1:3"), path).token, "filetok");
}

TEST(Submit, SendsTheBodyWithTheTokenInTheHeaderOnly) {
  ScriptedService service;
  service.on_submit({{200, kAccepted}});
  SubmissionClient client(service.target());
  SubmitResult r = client.submit(R"({"version":{"major":5,"minor":3}})");
  EXPECT_EQ(r.verdict, Verdict::kOk);
  EXPECT_EQ(r.id, "sub-1");
  ASSERT_EQ(service.submitted_bodies().size(), 1u);
  EXPECT_EQ(service.submitted_bodies()[0], R"({"version":{"major":5,"minor":3}})");
  EXPECT_EQ(service.authorizations()[0], "Bearer s3cret");
}

TEST(Submit, RetriesServerErrorsWithExponentialBackoff) {
  ScriptedService service;
  service.on_submit({{503, R"({"message":"busy"})"}, {500, "oops"}, {502, "{}"}, {200, kAccepted}});
  RecordedPolicy policy;
  std::vector<std::string> told;
  SubmissionOptions options = policy.options(6, milliseconds(100), milliseconds(10000));
  options.on_retry = [&](const std::string& m) { told.push_back(m); };
  SubmissionClient client(service.target(), options);
  SubmitResult r = client.submit("{}");
  EXPECT_EQ(r.verdict, Verdict::kOk);
  EXPECT_EQ(service.submit_calls(), 4);
  EXPECT_EQ(policy.delays,
            (std::vector<milliseconds>{milliseconds(100), milliseconds(200), milliseconds(400)}));
  ASSERT_EQ(told.size(), 3u);
  EXPECT_EQ(told[0], "try 1 failed (HTTP 503: busy), retrying in 100 ms");
}

TEST(Submit, BackoffIsCappedAndGivesUpAfterTheLastTry) {
  ScriptedService service;
  service.on_submit({{503, R"({"message":"busy"})"}});
  RecordedPolicy policy;
  SubmissionClient client(service.target(),
                          policy.options(5, milliseconds(100), milliseconds(300)));
  SubmitResult r = client.submit("{}");
  EXPECT_EQ(r.verdict, Verdict::kFailed);
  EXPECT_EQ(exit_status(r.verdict), 3);
  EXPECT_EQ(r.message, "HTTP 503: busy");
  EXPECT_EQ(service.submit_calls(), 5);
  EXPECT_EQ(policy.delays, (std::vector<milliseconds>{milliseconds(100), milliseconds(200),
                                                      milliseconds(300), milliseconds(300)}));
}

TEST(Submit, ClientErrorsAreNeverRetriedAndMeanRejectedInput) {
  for (int status : {400, 403, 413, 415}) {
    ScriptedService service;
    service.on_submit(
        {{status,
          R"({"message":"invalid","errors":[{"pointer":"/builds/0/id","message":"bad id"}]})"}});
    RecordedPolicy policy;
    SubmissionClient client(service.target(),
                            policy.options(6, milliseconds(100), milliseconds(1000)));
    SubmitResult r = client.submit("{}");
    EXPECT_EQ(r.verdict, Verdict::kRejected) << status;
    EXPECT_EQ(exit_status(r.verdict), 1);
    EXPECT_EQ(r.message, "HTTP " + std::to_string(status) + ": invalid\n  /builds/0/id: bad id");
    EXPECT_EQ(service.submit_calls(), 1);
    EXPECT_TRUE(policy.delays.empty());
  }
  // Other client errors (a wrong path, say) are not the data's fault.
  ScriptedService service;
  service.on_submit({{404, "{}"}});
  SubmissionClient client(service.target());
  EXPECT_EQ(client.submit("{}").verdict, Verdict::kFailed);
  EXPECT_EQ(service.submit_calls(), 1);
}

TEST(Submit, ConnectionErrorsAreRetriedThenFail) {
  int port;
  {
    ScriptedService gone;  // a port that was just listening, now closed
    port = std::stoi(gone.target().base_url.substr(gone.target().base_url.rfind(':') + 1));
  }
  RecordedPolicy policy;
  SubmissionClient client({"http://127.0.0.1:" + std::to_string(port), "t"},
                          policy.options(3, milliseconds(10), milliseconds(1000)));
  SubmitResult r = client.submit("{}");
  EXPECT_EQ(r.verdict, Verdict::kFailed);
  EXPECT_FALSE(r.message.empty());  // libcurl's reason
  EXPECT_EQ(policy.delays.size(), 2u);
}

TEST(Wait, PollsUntilProcessed) {
  ScriptedService service;
  service.on_status({{200, R"({"id":"sub-1","status":"ready"})"},
                     {503, "{}"},
                     {200, R"({"id":"sub-1","status":"inprogress"})"},
                     {200, R"({"id":"sub-1","status":"processed"})"}});
  RecordedPolicy policy;
  SubmissionClient client(service.target(),
                          policy.options(6, milliseconds(10), milliseconds(1000)));
  WaitResult w = client.wait("sub-1", client.wait_deadline());
  EXPECT_EQ(w.verdict, Verdict::kOk);
  EXPECT_EQ(service.status_calls(), 4);
  EXPECT_EQ(policy.delays.size(), 1u);  // the 503 was retried
  EXPECT_EQ(service.status_ids()[0], "sub-1");
}

TEST(Wait, FailedSubmissionIsRejectedInput) {
  ScriptedService service;
  service.on_status({{200, R"({"id":"sub-1","status":"failed","message":"no such origin"})"}});
  SubmissionClient client(service.target());
  WaitResult w = client.wait("sub-1", client.wait_deadline());
  EXPECT_EQ(w.verdict, Verdict::kRejected);
  EXPECT_EQ(w.message, "submission sub-1 failed: no such origin");
}

TEST(Wait, GivesUpAtTheDeadline) {
  ScriptedService service;
  service.on_status({{200, R"({"id":"sub-1","status":"ready"})"}});
  RecordedPolicy policy;
  SubmissionOptions options = policy.options(6, milliseconds(10), milliseconds(1000));
  options.wait_timeout = std::chrono::seconds(0);
  SubmissionClient client(service.target(), options);
  WaitResult w = client.wait("sub-1", client.wait_deadline());
  EXPECT_EQ(w.verdict, Verdict::kFailed);
  EXPECT_EQ(w.message, "submission sub-1 still ready after 0 s");
}

TEST(Wait, AnUnknownAnswerIsAFailure) {
  ScriptedService service;
  service.on_status({{404, R"({"message":"unknown submission"})"}});
  SubmissionClient client(service.target());
  WaitResult w = client.wait("sub-1", client.wait_deadline());
  EXPECT_EQ(w.verdict, Verdict::kFailed);
  EXPECT_EQ(w.message, "status of sub-1: HTTP 404: unknown submission");
}

TEST(SubmitAndWait, ValidatesBeforeSending) {
  ScriptedService service;
  service.on_submit({{200, kAccepted}});
  SubmissionClient client(service.target());
  EXPECT_THROW(submit_and_wait(client, R"({"version":{"major":5,"minor":3},"builds":[{}]})"),
               InvalidInputError);
  EXPECT_EQ(service.submit_calls(), 0);
}

TEST(SubmitAndWait, SendsEveryReportAndWaitsForEach) {
  ScriptedService service;
  service.on_submit({{200, kAccepted}});
  service.on_status({{200, R"({"status":"inprogress"})"}, {200, R"({"status":"processed"})"}});
  SubmissionClient client(service.target());
  submit_and_wait(client, R"({"version":{"major":5,"minor":3}} {"version":{"major":5,"minor":3}})");
  EXPECT_EQ(service.submit_calls(), 2);
  EXPECT_GE(service.status_calls(), 2);
}

TEST(SubmitAndWait, AFailedSubmissionThrows) {
  ScriptedService service;
  service.on_submit({{200, kAccepted}});
  service.on_status({{200, R"({"status":"failed","message":"database full"})"}});
  SubmissionClient client(service.target());
  try {
    submit_and_wait(client, R"({"version":{"major":5,"minor":3}})");
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "submission sub-1 failed: database full");
  }
}

TEST(HttpClient, SendsHeadersAndRefusesOtherMethods) {
  httplib::Server server;
  std::string seen;
  server.Get("/h", [&](const httplib::Request& req, httplib::Response& res) {
    seen = req.get_header_value("Authorization") + "|" + req.get_header_value("Accept");
    res.set_content("{}", "application/json");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  wait_until_running(server);
  HttpResponse r;
  {
    HttpClient http;  // closed before the server stops (keep-alive)
    HttpRequest req;
    req.url = "http://127.0.0.1:" + std::to_string(port) + "/h";
    req.headers = {"Authorization: Token abc", "Accept: application/json"};
    r = http.send(req);
    req.method = "DELETE";
    EXPECT_THROW(http.send(req), Error);
  }
  server.stop();
  t.join();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(seen, "Token abc|application/json");
}

TEST(HttpClient, DownloadStreamsFollowsRedirectsCutsAtTheLimitAndFailsOn4xx) {
  httplib::Server server;
  const std::string big(300000, 'x');
  server.Get("/big", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(big, "text/plain");
  });
  server.Get("/moved",
             [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/big"); });
  server.Get("/elsewhere", [](const httplib::Request&, httplib::Response& res) {
    res.set_redirect("file:///etc/passwd");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  wait_until_running(server);
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  DownloadResult whole, cut, missing, refused, other_scheme;
  std::string got, got_cut;
  int chunks = 0;
  {
    HttpClient http;  // closed before the server stops (keep-alive)
    whole = http.download(base + "/moved", big.size(), [&](std::string_view c) {
      got += c;
      ++chunks;
      return true;
    });
    cut = http.download(base + "/big", 1000, [&](std::string_view c) {
      got_cut += c;
      return true;
    });
    missing = http.download(base + "/nothing", 1000, [](std::string_view) { return true; });
    refused = http.download(base + "/big", big.size(), [](std::string_view) { return false; });
    other_scheme = http.download(base + "/elsewhere", 1000, [](std::string_view) { return true; });
    EXPECT_THROW(http.download(base + "/big", big.size(),
                               [](std::string_view) -> bool { throw Error("disk full"); }),
                 Error);
  }
  server.stop();
  t.join();
  EXPECT_TRUE(whole.ok()) << whole.error;
  EXPECT_EQ(whole.status, 200);
  EXPECT_EQ(got, big);
  EXPECT_EQ(whole.bytes, big.size());
  EXPECT_FALSE(whole.truncated);
  EXPECT_GT(chunks, 1);  // handed over in pieces, not held whole
  EXPECT_TRUE(cut.ok()) << cut.error;
  EXPECT_TRUE(cut.truncated);
  EXPECT_EQ(got_cut, big.substr(0, 1000));
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.error.find("404"), std::string::npos) << missing.error;
  EXPECT_FALSE(refused.ok());
  EXPECT_FALSE(other_scheme.ok());  // a redirect to file:// is not followed
}

}  // namespace
}  // namespace kci::client
