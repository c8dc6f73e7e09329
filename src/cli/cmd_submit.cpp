// SPDX-License-Identifier: LGPL-2.1-or-later
// kci submit: send reports to a KCIDB REST submission service (kci serve or
// kcidb-ng). Every report is validated locally first; if any is invalid
// nothing is sent. The client is src/client (libcurl).
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "client/submission_client.h"
#include "report/json.h"
#include "report/stream.h"
#include "report/validate.h"

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

std::string where(const report::ParsedValue& v) {
  return v.source + ": report " + std::to_string(v.index) + " (line " + std::to_string(v.line) +
         ")";
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
    client::RestTarget target = client::resolve_rest_target(o->url, o->token_file);

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

    client::SubmissionOptions options;
    options.retry.attempts = o->retries;
    options.wait_timeout = std::chrono::seconds(o->wait_timeout);
    if (o->verbose) {
      options.on_retry = [](const std::string& message) {
        std::fprintf(stderr, "kci submit: %s\n", message.c_str());
      };
    }
    client::SubmissionClient submitter(target, options);
    std::vector<std::string> ids;
    for (const auto& v : reports) {
      client::SubmitResult sent = submitter.submit(json::write(v.doc));
      if (sent.verdict != client::Verdict::kOk) {
        std::fprintf(stderr, "kci submit: %s: not accepted: %s\n", where(v).c_str(),
                     sent.message.c_str());
        ctx.exit_status = client::exit_status(sent.verdict);
        return;
      }
      std::printf("%s\n", sent.id.c_str());
      std::fflush(stdout);
      ids.push_back(sent.id);
    }
    if (!o->wait) return;

    auto deadline = submitter.wait_deadline();
    for (const std::string& id : ids) {
      client::WaitResult stored = submitter.wait(id, deadline);
      if (stored.verdict == client::Verdict::kOk) continue;
      std::fprintf(stderr, "kci submit: %s\n", stored.message.c_str());
      ctx.exit_status = client::exit_status(stored.verdict);
      // A failed submission does not stop waiting for the others; a
      // service that cannot answer does.
      if (stored.verdict == client::Verdict::kFailed) return;
    }
  });
}

}  // namespace

KCI_COMMAND(51, add_submit);

}  // namespace kci::cli
