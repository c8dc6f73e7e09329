// SPDX-License-Identifier: LGPL-2.1-or-later
// The options of the live services (analysis -> triage -> notify, see
// server/live_services.h) as `kci serve` and `kci run` both take them: the
// known-issue rules, the subscriptions, the sender and the delivery.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "server/live_services.h"
#include "triage/log_fetch.h"

namespace kci::cli {

struct LiveCliOptions {
  bool no_log_fetch = false;
  std::string triage_rules, maildir, smtp, from = "kci <kci@localhost>", domain = "localhost";
  std::string to_override, bisection_to = "culprit", maintainers_tree;
  std::vector<std::string> subscriptions;
  long notify_quiet = 600;
  double live_poll = 2.0;
  // Log fetching's policy (triage::FetchPolicy): internal networks allowed,
  // hosts allowed, folders local logs may be read from. local_log_files:
  // whether file:// log_urls are read at all without --log-fetch-files
  // (kci run: its own logs; kci serve: no, the reports come from others).
  std::vector<std::string> log_fetch_allow, log_fetch_hosts, log_fetch_files;
  bool local_log_files = true;
};

// Adds --log-fetch-allow, --log-fetch-host and --log-fetch-files (kci serve,
// kci run, kci issues triage).
void add_log_fetch_options(CLI::App* cmd, std::vector<std::string>& allow,
                           std::vector<std::string>& hosts, std::vector<std::string>& files);
// The policy of those options (throws UsageError for a bad network).
triage::FetchPolicy log_fetch_policy(const std::vector<std::string>& allow,
                                     const std::vector<std::string>& hosts,
                                     const std::vector<std::string>& files, bool local_files);

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
