// SPDX-License-Identifier: LGPL-2.1-or-later
// The client side of the KCIDB REST submission protocol (kci serve,
// kcidb-ng): POST /submit with retries, GET /status polling for --wait, and
// the exit policy of `kci submit`. Used by `kci submit` and, in-process, by
// --submit of monitor/build/test. The token travels only in the
// Authorization header, never on a command line.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "client/http_client.h"
#include "client/retry.h"

namespace kci::client {

// What an answer means for the exit status (docs/cli.md): kOk 0, kRejected
// 1 (the service refused the data: 400, 403, 413, 415, or a failed
// submission), kFailed 3 (the service or the network failed).
enum class Verdict { kOk, kRejected, kFailed };
int exit_status(Verdict verdict);

// The service's URL from --url, else $KCIDB_REST; the token from the URL or,
// when given, from token_file (the token alone, trailing whitespace
// ignored). Throws UsageError when there is no URL or no token.
RestTarget resolve_rest_target(const std::optional<std::string>& url,
                               const std::optional<std::string>& token_file);

// The "message" (and "errors") of a JSON answer, for the user; libcurl's
// reason when there was no answer.
std::string describe_answer(const HttpResponse& response);

struct SubmissionOptions {
  RetryPolicy retry;
  // --wait polls /status every first_poll, doubling up to max_poll, for at
  // most wait_timeout over all the submissions waited for.
  std::chrono::milliseconds first_poll{50};
  std::chrono::milliseconds max_poll{1000};
  std::chrono::seconds wait_timeout{600};
  // Told each retry in words ("try 1 failed (HTTP 503: ...), retrying in
  // 250 ms"), e.g. for --verbose.
  std::function<void(const std::string& message)> on_retry;
};

struct SubmitResult {
  Verdict verdict = Verdict::kFailed;
  std::string id;       // the submission id when accepted
  std::string message;  // why not, when not accepted
};

struct WaitResult {
  Verdict verdict = Verdict::kFailed;
  std::string message;  // "submission ID failed: ...", "... still ready after N s"
};

class SubmissionClient {
 public:
  explicit SubmissionClient(RestTarget target, SubmissionOptions options = {});
  ~SubmissionClient();
  SubmissionClient(const SubmissionClient&) = delete;
  SubmissionClient& operator=(const SubmissionClient&) = delete;

  // POSTs one report (JSON text) to /submit.
  SubmitResult submit(const std::string& report_json);

  // Polls /status?id=ID until the submission is processed (kOk), failed
  // (kRejected) or in an unknown state, or the deadline passes (kFailed).
  WaitResult wait(const std::string& id, std::chrono::steady_clock::time_point deadline);
  std::chrono::steady_clock::time_point wait_deadline() const;

  const SubmissionOptions& options() const { return options_; }

 private:
  HttpResponse call(const std::function<HttpResponse()>& request);

  RestTarget target_;
  SubmissionOptions options_;
  std::unique_ptr<HttpClient> http_;
};

// Validates report_text (one or more KCIDB reports, as `kci submit` reads
// them), submits every report and waits until each is stored: what --submit
// of monitor/build/test does. Throws Error naming the report and the
// service's answer when a report is invalid, refused or not stored.
void submit_and_wait(SubmissionClient& client, const std::string& report_text);

}  // namespace kci::client
