// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/live_options.h"

#include <cctype>

#include "client/address_policy.h"
#include "notify/subscriptions.h"
#include "notify/transport.h"

namespace kci::cli {

void add_bisection_mail_options(CLI::App* cmd, std::string& bisection_to,
                                std::string& maintainers_tree) {
  cmd->add_option("--bisection-to", bisection_to,
                  "Who gets bisection reports: 'culprit' (the subscriptions, and the culprit's "
                  "author, committer and trailer addresses with its maintainers in Cc) or "
                  "'subscriptions' (only they: test set-ups that must not mail developers)")
      ->capture_default_str()
      ->check(CLI::IsMember({"culprit", "subscriptions"}));
  cmd->add_option("--maintainers-tree", maintainers_tree,
                  "Kernel git tree holding the culprit: its scripts/get_maintainer.pl names the "
                  "maintainers of the files the culprit touches (Cc of the bisection report; "
                  "kci run's default: its --source tree when that has scripts/get_maintainer.pl)");
}

void add_log_fetch_options(CLI::App* cmd, std::vector<std::string>& allow,
                           std::vector<std::string>& hosts, std::vector<std::string>& files) {
  cmd->add_option("--log-fetch-allow", allow,
                  "An internal address or network (127.0.0.1, 10.0.0.0/8, fd00::/8) log_url "
                  "fetching may connect to; repeatable (default: public addresses only, never "
                  "loopback, private or link-local ones)");
  cmd->add_option("--log-fetch-host", hosts,
                  "Fetch log_url only from this host (.example.org: its subdomains), redirects "
                  "included; repeatable (default: any host)");
  cmd->add_option("--log-fetch-files", files,
                  "Read file:// log_urls only below this folder; repeatable");
}

triage::FetchPolicy log_fetch_policy(const std::vector<std::string>& allow,
                                     const std::vector<std::string>& hosts,
                                     const std::vector<std::string>& files, bool local_files) {
  triage::FetchPolicy policy;
  client::AddressPolicy check(allow);  // throws UsageError for a bad network
  (void)check;
  policy.networks = allow;
  for (const std::string& h : hosts) {
    std::string lower;
    for (char c : h) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    policy.hosts.push_back(lower);
  }
  policy.file_roots = files;
  policy.files = local_files || !files.empty();
  return policy;
}

void add_live_options(CLI::App* cmd, LiveCliOptions& o) {
  add_log_fetch_options(cmd, o.log_fetch_allow, o.log_fetch_hosts, o.log_fetch_files);
  cmd->add_option("--triage-rules", o.triage_rules,
                  "Known-issue rules (YAML) matched against new failures (default: log "
                  "signatures only)");
  cmd->add_flag("--no-log-fetch", o.no_log_fetch,
                "Triage looks at log_excerpt only, never fetches log_url");
  cmd->add_option("--subscriptions", o.subscriptions,
                  "Subscription YAML files: reports of new regressions are queued to the outbox");
  cmd->add_option("--notify-quiet", o.notify_quiet,
                  "Seconds a checkout's results must be quiet before its reports are queued")
      ->capture_default_str()
      ->check(CLI::Range(0L, 86400L * 7));
  cmd->add_option("--from", o.from, "Sender of the mails (\"Name <addr>\")")->capture_default_str();
  cmd->add_option("--domain", o.domain, "Right-hand side of Message-IDs")->capture_default_str();
  cmd->add_option("--to-override", o.to_override,
                  "Trial runs: every mail goes to this address only (subscriptions, patchset "
                  "contacts and the culprit's people alike)");
  add_bisection_mail_options(cmd, o.bisection_to, o.maintainers_tree);
  auto* smtp = cmd->add_option("--smtp", o.smtp,
                               "Deliver the outbox to this SMTP server (smtp://HOST[:PORT]); only "
                               "one sender per database delivers (a lease)");
  cmd->add_option("--maildir", o.maildir, "Deliver the outbox to this Maildir instead")
      ->excludes(smtp);
  cmd->add_option("--live-poll", o.live_poll,
                  "Seconds between live rounds without new events (quiet checkouts, retries)")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 3600.0));
}

void apply_live_options(const LiveCliOptions& o, server::LiveOptions& live) {
  live.rules_file = o.triage_rules;
  live.triage_options.fetch_logs = !o.no_log_fetch;
  live.triage_options.fetch.policy =
      log_fetch_policy(o.log_fetch_allow, o.log_fetch_hosts, o.log_fetch_files, o.local_log_files);
  live.notifier.build.fetch_policy = live.triage_options.fetch.policy;
  for (const auto& f : o.subscriptions) {
    for (auto& sub : notify::load_subscriptions(f))
      live.notifier.subscriptions.push_back(std::move(sub));
  }
  live.notifier.from = notify::parse_address(o.from);
  live.notifier.domain = o.domain;
  live.notifier.quiet_seconds = o.notify_quiet;
  if (!o.to_override.empty()) live.notifier.to_override = notify::parse_address(o.to_override);
  live.notifier.bisection_to_culprit = o.bisection_to == "culprit";
  live.notifier.maintainers_tree = o.maintainers_tree;
  live.notifier.build.fetch_logs = !o.no_log_fetch;
  live.poll = std::chrono::milliseconds(static_cast<long>(o.live_poll * 1000));
  if (!o.smtp.empty()) {
    notify::SmtpOptions smtp_options;
    smtp_options.url = o.smtp;
    live.transport = notify::smtp_transport(smtp_options);
  } else if (!o.maildir.empty()) {
    live.transport = notify::maildir_transport(o.maildir);
  }
}

}  // namespace kci::cli
