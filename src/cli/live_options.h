// SPDX-License-Identifier: LGPL-2.1-or-later
// The options of the live services (analysis -> triage -> notify, see
// server/live_services.h) as `kci serve` and `kci run` both take them: the
// known-issue rules, the subscriptions, the sender and the delivery.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "server/live_services.h"

namespace kci::cli {

struct LiveCliOptions {
  bool no_log_fetch = false;
  std::string triage_rules, maildir, smtp, from = "kci <kci@localhost>", domain = "localhost";
  std::string to_override, bisection_to = "culprit", maintainers_tree;
  std::vector<std::string> subscriptions;
  long notify_quiet = 600;
  double live_poll = 2.0;
};

// Adds --triage-rules, --no-log-fetch, --subscriptions, --notify-quiet,
// --from, --domain, --to-override, --bisection-to, --maintainers-tree,
// --smtp, --maildir and --live-poll to cmd.
void add_live_options(CLI::App* cmd, LiveCliOptions& o);

// Adds --bisection-to culprit|subscriptions and --maintainers-tree DIR
// (kci notify bisections has them too).
void add_bisection_mail_options(CLI::App* cmd, std::string& bisection_to,
                                std::string& maintainers_tree);

// Fills live's rules, triage, notifier, poll and transport from o (the
// database and the on/off switches are the caller's). Throws on a bad
// subscription file or sender address.
void apply_live_options(const LiveCliOptions& o, server::LiveOptions& live);

}  // namespace kci::cli
