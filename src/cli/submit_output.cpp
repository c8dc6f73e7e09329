// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/submit_output.h"

#include "util/error.h"
#include "util/subprocess.h"

namespace kci::cli {

void add_submit_option(CLI::App* cmd, std::string& url) {
  cmd->add_option("--submit", url,
                  "Also send the report to a KCIDB REST service (kci serve, kcidb-ng): "
                  "https://TOKEN@HOST[:PORT], or env for $KCIDB_REST; waits until it is stored");
}

void submit_report_text(const std::string& url, const std::string& report_text) {
  std::vector<std::string> argv{"/proc/self/exe", "submit", "--wait"};
  if (url != "env") {
    argv.push_back("--url");
    argv.push_back(url);
  }
  RunOptions options;
  options.stdin_data = report_text;
  options.capture_stdout = true;
  options.timeout = std::chrono::minutes(15);
  RunResult r = run_process(argv, options);
  if (!r.ok()) {
    std::string err = r.err;
    while (!err.empty() && err.back() == '\n') err.pop_back();
    throw Error("--submit: the report was not stored: " + (err.empty() ? "kci submit failed" : err));
  }
}

}  // namespace kci::cli
