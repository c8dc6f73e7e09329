// SPDX-License-Identifier: LGPL-2.1-or-later
// --submit for the commands that produce results (monitor, build, test): the
// report they print also goes to a KCIDB REST service, through `kci submit`
// itself, so validation, retries and the service's answer are handled in one
// place.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace kci::cli {

// Adds `--submit URL` to cmd. URL is https://TOKEN@HOST[:PORT] (http for
// loopback); "env" means $KCIDB_REST.
void add_submit_option(CLI::App* cmd, std::string& url);

// Sends one report (JSON text) with `kci submit --wait`. Throws Error
// naming the service's answer when it is not processed.
void submit_report_text(const std::string& url, const std::string& report_text);

}  // namespace kci::cli
