// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/submit_output.h"

#include <optional>

#include "client/submission_client.h"
#include "util/error.h"

namespace kci::cli {

void add_submit_option(CLI::App* cmd, std::string& url) {
  cmd->add_option("--submit", url,
                  "Also send the report to a KCIDB REST service (kci serve, kcidb-ng): "
                  "https://TOKEN@HOST[:PORT], or env for $KCIDB_REST; waits until it is stored");
}

void submit_report_text(const std::string& url, const std::string& report_text) {
  std::optional<std::string> given;
  if (url != "env") given = url;
  client::RestTarget target;
  try {
    target = client::resolve_rest_target(given, std::nullopt);
  } catch (const UsageError& e) {
    throw UsageError(std::string("--submit: ") + e.what());
  }
  try {
    client::SubmissionClient submitter(target);
    client::submit_and_wait(submitter, report_text);
  } catch (const Error& e) {
    // The report was printed already; whatever kept it from the service
    // (even invalid data) is the environment's failure here: exit 3.
    throw Error(std::string("--submit: the report was not stored: ") + e.what());
  }
}

}  // namespace kci::cli
