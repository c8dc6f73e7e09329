// SPDX-License-Identifier: LGPL-2.1-or-later
// --submit for the commands that produce results (monitor, build, test): the
// report they print also goes to a KCIDB REST service, in-process through
// the submission client of src/client (the one `kci submit` uses), so
// validation, retries and the service's answer are handled in one place and
// the token never appears on a command line.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace kci::cli {

// Adds `--submit URL` to cmd. URL is https://TOKEN@HOST[:PORT] (http for
// loopback); "env" means $KCIDB_REST.
void add_submit_option(CLI::App* cmd, std::string& url);

// Validates and sends one report (JSON text), then waits until the service
// has stored it, as `kci submit --wait` does. Throws Error naming the
// service's answer when it is not processed.
void submit_report_text(const std::string& url, const std::string& report_text);

}  // namespace kci::cli
