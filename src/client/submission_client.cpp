// SPDX-License-Identifier: LGPL-2.1-or-later
#include "client/submission_client.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <thread>
#include <vector>

#include "report/json.h"
#include "report/stream.h"
#include "report/validate.h"
#include "util/error.h"
#include "util/file.h"
#include "util/text.h"

namespace kci::client {

namespace {

// A token file holds the token alone (trailing whitespace ignored).
constexpr std::size_t kMaxTokenFileBytes = 4096;

std::string answer_field(const std::string& body, const char* name) {
  json::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember(name) || !doc[name].IsString()) {
    return {};
  }
  return std::string(json::str(doc[name]));
}

}  // namespace

int exit_status(Verdict verdict) {
  switch (verdict) {
    case Verdict::kOk: return 0;
    case Verdict::kRejected: return 1;
    case Verdict::kFailed: return 3;
  }
  return 3;
}

RestTarget resolve_rest_target(const std::optional<std::string>& url_option,
                               const std::optional<std::string>& token_file) {
  std::string url;
  if (url_option) {
    url = *url_option;
  } else if (const char* env = std::getenv("KCIDB_REST"); env && *env) {
    url = env;
  } else {
    throw UsageError("submit: give --url https://TOKEN@HOST[:PORT] or set KCIDB_REST");
  }
  RestTarget target = parse_rest_target(url);
  if (token_file) {
    std::string token = read_input_file(*token_file, kMaxTokenFileBytes);
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
      token.pop_back();
    }
    target.token = token;
  }
  if (target.token.empty()) {
    throw UsageError("submit: no token: put it in the URL (https://TOKEN@HOST) or --token-file");
  }
  return target;
}

std::string describe_answer(const HttpResponse& r) {
  if (r.status == 0) return r.error;
  json::Document doc;
  doc.Parse(r.body.data(), r.body.size());
  std::string text = "HTTP " + std::to_string(r.status);
  if (doc.HasParseError() || !doc.IsObject()) return text + ": " + r.body.substr(0, 500);
  if (doc.HasMember("message") && doc["message"].IsString()) {
    text += ": " + std::string(json::str(doc["message"]));
  }
  if (doc.HasMember("errors") && doc["errors"].IsArray()) {
    for (const auto& e : doc["errors"].GetArray()) {
      if (!e.IsObject() || !e.HasMember("pointer") || !e.HasMember("message") ||
          !e["pointer"].IsString() || !e["message"].IsString()) {
        continue;
      }
      text += "\n  " + std::string(json::str(e["pointer"])) + ": " +
              std::string(json::str(e["message"]));
    }
  }
  return text;
}

SubmissionClient::SubmissionClient(RestTarget target, SubmissionOptions options)
    : target_(std::move(target)),
      options_(std::move(options)),
      http_(std::make_unique<HttpClient>()) {}

SubmissionClient::~SubmissionClient() = default;

HttpResponse SubmissionClient::call(const std::function<HttpResponse()>& request) {
  return with_retries(options_.retry, request,
                      [this](const HttpResponse& r, int attempt, std::chrono::milliseconds delay) {
                        if (!options_.on_retry) return;
                        options_.on_retry("try " + std::to_string(attempt) + " failed (" +
                                          describe_answer(r) + "), retrying in " +
                                          std::to_string(delay.count()) + " ms");
                      });
}

SubmitResult SubmissionClient::submit(const std::string& report_json) {
  HttpResponse r = call(
      [&] { return http_->post_json(target_.base_url + "/submit", report_json, target_.token); });
  SubmitResult result;
  result.id = r.status == 200 ? answer_field(r.body, "id") : "";
  if (!result.id.empty()) {
    result.verdict = Verdict::kOk;
    return result;
  }
  bool rejected_input = r.status == 400 || r.status == 403 || r.status == 413 || r.status == 415;
  result.verdict = rejected_input ? Verdict::kRejected : Verdict::kFailed;
  result.message = describe_answer(r);
  return result;
}

std::chrono::steady_clock::time_point SubmissionClient::wait_deadline() const {
  return std::chrono::steady_clock::now() + options_.wait_timeout;
}

WaitResult SubmissionClient::wait(const std::string& id,
                                  std::chrono::steady_clock::time_point deadline) {
  std::chrono::milliseconds poll = options_.first_poll;
  WaitResult result;
  for (;;) {
    HttpResponse r = call([&] {
      return http_->get(target_.base_url + "/status?id=" + percent_encode(id, "-_.~"),
                        target_.token);
    });
    std::string state = answer_field(r.body, "status");
    if (state == "processed") {
      result.verdict = Verdict::kOk;
      return result;
    }
    if (state == "failed") {
      result.verdict = Verdict::kRejected;
      result.message = "submission " + id + " failed: " + answer_field(r.body, "message");
      return result;
    }
    if (state != "ready" && state != "inprogress") {
      result.verdict = Verdict::kFailed;
      result.message = "status of " + id + ": " + describe_answer(r);
      return result;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      result.verdict = Verdict::kFailed;
      result.message = "submission " + id + " still " + state + " after " +
                       std::to_string(options_.wait_timeout.count()) + " s";
      return result;
    }
    std::this_thread::sleep_for(poll);
    poll = std::min(poll * 2, options_.max_poll);
  }
}

void submit_and_wait(SubmissionClient& client, const std::string& report_text) {
  report::JsonStreamReader reader(report_text, "the report");
  std::vector<report::ParsedValue> reports;
  while (auto v = reader.next()) reports.push_back(std::move(*v));
  for (const auto& v : reports) {
    report::ValidationResult valid = report::validate_report(v.doc);
    if (!valid.ok()) {
      throw InvalidInputError("invalid input, nothing was sent: " + valid.errors.front().str());
    }
  }
  std::vector<std::string> ids;
  for (const auto& v : reports) {
    SubmitResult sent = client.submit(json::write(v.doc));
    if (sent.verdict != Verdict::kOk) throw Error("not accepted: " + sent.message);
    ids.push_back(sent.id);
  }
  auto deadline = client.wait_deadline();
  for (const std::string& id : ids) {
    WaitResult stored = client.wait(id, deadline);
    if (stored.verdict != Verdict::kOk) throw Error(stored.message);
  }
}

}  // namespace kci::client
