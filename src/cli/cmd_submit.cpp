// SPDX-License-Identifier: LGPL-2.1-or-later
// kci submit: send reports to a KCIDB REST submission service (kci serve or
// kcidb-ng). Every report is validated locally first; if any is invalid
// nothing is sent. The HTTP client is libcurl.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/command.h"
#include "report/json.h"
#include "report/stream.h"
#include "report/validate.h"
#include "server/http_client.h"
#include "util/file.h"

namespace kci::cli {

namespace {

struct SubmitOptions {
  std::vector<std::string> files;
  bool seq_in = false;
  std::optional<std::string> url;
  std::optional<std::string> token_file;
  bool wait = false;
  int wait_timeout = 600;
  int retries = 6;
  bool verbose = false;
};

// A token file holds the token alone (trailing whitespace ignored).
constexpr std::size_t kMaxTokenFileBytes = 4096;

std::string where(const report::ParsedValue& v) {
  return v.source + ": report " + std::to_string(v.index) + " (line " + std::to_string(v.line) +
         ")";
}

// The "message" (and "errors") of a JSON answer, for the user.
std::string describe_answer(const server::HttpResponse& r) {
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
      if (!e.IsObject() || !e.HasMember("pointer") || !e.HasMember("message")) continue;
      text += "\n  " + std::string(json::str(e["pointer"])) + ": " +
              std::string(json::str(e["message"]));
    }
  }
  return text;
}

std::string answer_field(const std::string& body, const char* name) {
  json::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember(name) || !doc[name].IsString()) {
    return {};
  }
  return std::string(json::str(doc[name]));
}

server::RestTarget resolve_target(const SubmitOptions& o) {
  std::string url;
  if (o.url) {
    url = *o.url;
  } else if (const char* env = std::getenv("KCIDB_REST"); env && *env) {
    url = env;
  } else {
    throw UsageError("submit: give --url https://TOKEN@HOST[:PORT] or set KCIDB_REST");
  }
  server::RestTarget target = server::parse_rest_target(url);
  if (o.token_file) {
    std::string token = read_file(*o.token_file, kMaxTokenFileBytes);
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

void add_submit(CLI::App& root, RunContext& ctx) {
  auto o = std::make_shared<SubmitOptions>();
  auto* cmd = root.add_subcommand(
      "submit",
      "Validate reports locally, then send each to a KCIDB REST service (kci serve, kcidb-ng) "
      "and print its submission id");
  cmd->add_option("files", o->files, "Report files (default: standard input; - = stdin)");
  cmd->add_flag("--seq-in", o->seq_in, "Input is an RFC 7464 JSON text sequence");
  cmd->add_option("--url", o->url,
                  "Service URL, https://TOKEN@HOST[:PORT] (default: $KCIDB_REST); http only to "
                  "loopback");
  cmd->add_option("--token-file", o->token_file, "Read the token from this file instead");
  cmd->add_flag("--wait", o->wait,
                "Poll /status until every submission is processed (exit 0) or failed (exit 1)");
  cmd->add_option("--wait-timeout", o->wait_timeout, "Seconds --wait waits at most")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  cmd->add_option("--retries", o->retries,
                  "Tries per request on connection errors and 5xx (exponential backoff)")
      ->capture_default_str()
      ->check(CLI::Range(1, 20));
  cmd->add_flag("-v,--verbose", o->verbose, "Say what is retried");
  cmd->callback([o, &ctx] {
    server::RestTarget target = resolve_target(*o);

    // Read and validate everything before sending anything.
    std::vector<std::unique_ptr<report::JsonStreamReader>> keep;
    std::vector<report::ParsedValue> reports = report::read_all(o->files, o->seq_in, keep);
    bool all_valid = true;
    for (const auto& v : reports) {
      report::ValidationResult result = report::validate_report(v.doc);
      for (const auto& e : result.errors) {
        std::fprintf(stderr, "%s: %s\n", where(v).c_str(), e.str().c_str());
      }
      all_valid = all_valid && result.ok();
    }
    if (!all_valid) {
      std::fprintf(stderr, "kci submit: invalid input, nothing was sent\n");
      ctx.exit_status = kExitInvalidInput;
      return;
    }

    server::HttpClient client;
    server::RetryPolicy policy;
    policy.attempts = o->retries;
    auto on_retry = [&](const server::HttpResponse& r, int attempt,
                        std::chrono::milliseconds delay) {
      if (o->verbose) {
        std::fprintf(stderr, "kci submit: try %d failed (%s), retrying in %lld ms\n", attempt,
                     describe_answer(r).c_str(), static_cast<long long>(delay.count()));
      }
    };
    std::vector<std::string> ids;
    for (const auto& v : reports) {
      std::string body = json::write(v.doc);
      server::HttpResponse r = server::with_retries(
          policy, [&] { return client.post_json(target.base_url + "/submit", body, target.token); },
          on_retry);
      std::string id = r.status == 200 ? answer_field(r.body, "id") : "";
      if (id.empty()) {
        std::fprintf(stderr, "kci submit: %s: not accepted: %s\n", where(v).c_str(),
                     describe_answer(r).c_str());
        bool rejected_input = r.status == 400 || r.status == 403 || r.status == 413 ||
                              r.status == 415;
        ctx.exit_status = rejected_input ? kExitInvalidInput : kExitFailure;
        return;
      }
      std::printf("%s\n", id.c_str());
      std::fflush(stdout);
      ids.push_back(id);
    }
    if (!o->wait) return;

    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o->wait_timeout);
    std::chrono::milliseconds poll{50};
    for (const std::string& id : ids) {
      for (;;) {
        server::HttpResponse r = server::with_retries(
            policy,
            [&] { return client.get(target.base_url + "/status?id=" + id, target.token); },
            on_retry);
        std::string state = answer_field(r.body, "status");
        if (state == "processed") break;
        if (state == "failed") {
          std::fprintf(stderr, "kci submit: submission %s failed: %s\n", id.c_str(),
                       answer_field(r.body, "message").c_str());
          ctx.exit_status = kExitInvalidInput;
          break;
        }
        if (state != "ready" && state != "inprogress") {
          std::fprintf(stderr, "kci submit: status of %s: %s\n", id.c_str(),
                       describe_answer(r).c_str());
          ctx.exit_status = kExitFailure;
          return;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
          std::fprintf(stderr, "kci submit: submission %s still %s after %d s\n", id.c_str(),
                       state.c_str(), o->wait_timeout);
          ctx.exit_status = kExitFailure;
          return;
        }
        std::this_thread::sleep_for(poll);
        poll = std::min(poll * 2, std::chrono::milliseconds(1000));
      }
    }
  });
}

}  // namespace

KCI_COMMAND(51, add_submit);

}  // namespace kci::cli
