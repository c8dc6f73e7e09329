// SPDX-License-Identifier: LGPL-2.1-or-later
// kci notify queue / send: the durable outbox from the command line.
//   kci notify queue -d DB --subscriptions S.yaml DATA.json...
//   kci notify bisections -d DB --subscriptions S.yaml
//   kci notify send -d DB (--dry-run | --maildir DIR | --smtp URL) [--once]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/command.h"
#include "cli/live_options.h"
#include "notify/bisection.h"
#include "notify/notifier.h"
#include "notify/report_json.h"
#include "notify/sender_lease.h"
#include "notify/transport.h"
#include "store/sql.h"
#include "store/store.h"
#include "util/error.h"
#include "util/file.h"

namespace kci::cli {
namespace {

struct NotifyRunOptions {
  std::optional<std::string> database;
  std::vector<std::string> subscription_files, files;
  std::string from = "kci <kci@localhost>", domain = "localhost", to_override, origin = "kci";
  std::string bisection_to = "culprit", maintainers_tree;
  bool dry_run = false, once = false, starttls = false, insecure = false, retry_now = false;
  std::string maildir, smtp, smtp_user, smtp_password_env;
  long interval_s = 30, timeout_s = 60;
  int max_attempts = 8;
};

std::unique_ptr<store::SqlConnection> open_db(const NotifyRunOptions& o) {
  auto spec = store::database_spec_from(o.database);
  store::open_store(spec)->init(true);
  return store::SqlConnection::open(spec);
}

notify::NotifierConfig config_of(const NotifyRunOptions& o) {
  notify::NotifierConfig c;
  for (const auto& f : o.subscription_files) {
    for (auto& s : notify::load_subscriptions(f)) c.subscriptions.push_back(std::move(s));
  }
  c.from = notify::parse_address(o.from);
  c.domain = o.domain;
  if (!o.to_override.empty()) c.to_override = notify::parse_address(o.to_override);
  c.bisection_to_culprit = o.bisection_to == "culprit";
  c.maintainers_tree = o.maintainers_tree;
  return c;
}

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void register_notify_run(CLI::App& root, RunContext& ctx) {
  CLI::App* notify = root.get_subcommand("notify");
  auto o = std::make_shared<NotifyRunOptions>();
  auto add_common = [&](CLI::App* cmd) {
    cmd->add_option("-d,--database", o->database, "Database spec (default: $KCI_DATABASE)");
    cmd->add_option("--from", o->from, "Sender (\"Name <addr>\")");
    cmd->add_option("--domain", o->domain, "Right-hand side of Message-IDs");
    cmd->add_option("--to-override", o->to_override, "Send every mail to this address only");
  };

  auto* queue = notify->add_subcommand(
      "queue", "Render report data files for the matching subscriptions into the outbox");
  add_common(queue);
  queue->add_option("-s,--subscriptions", o->subscription_files, "Subscription YAML files")
      ->required();
  queue->add_option("--origin", o->origin, "Origin of the checkouts the data is about");
  queue->add_option("FILE", o->files, "Report data files (see kci notify render)")->required();
  queue->callback([o] {
    auto db = open_db(*o);
    notify::Notifier n(*db, config_of(*o));
    int queued = 0;
    for (const auto& f : o->files) {
      notify::ReportInput in = notify::parse_report_input(read_input_file(f, 64 << 20), f);
      notify::CheckoutInfo c;
      c.origin = o->origin;
      notify::CheckoutReports reports;
      std::visit(
          [&](const auto& r) {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, notify::TestReport>) {
              c.tree = r.tree, c.branch = r.branch, c.id = r.checkout_id;
              reports.tests.push_back(r);
            } else if constexpr (std::is_same_v<T, notify::BuildReport>) {
              c.tree = r.tree, c.branch = r.branch, c.id = r.checkout_id;
              reports.build = r;
            } else if constexpr (std::is_same_v<T, notify::NewIssueReport>) {
              c.tree = r.tree, c.branch = r.branch, c.id = r.checkout_id;
              reports.new_issues.push_back(r);
            } else {
              throw InvalidInputError(f + ": bisection reports are queued by the bisection");
            }
          },
          in.data);
      if (!in.in_reply_to.empty()) c.message_id = in.in_reply_to;
      queued += n.queue_reports(c, reports, in.date ? in.date : now_s());
    }
    std::printf("queued %d mail(s)\n", queued);
  });

  auto* bisections = notify->add_subcommand(
      "bisections",
      "Queue the email of every done bisection with a culprit (kci bisect --auto's table) for "
      "the subscriptions with kind bisection and the culprit's people; each bisection once");
  add_common(bisections);
  add_bisection_mail_options(bisections, o->bisection_to, o->maintainers_tree);
  bisections->add_option("-s,--subscriptions", o->subscription_files, "Subscription YAML files")
      ->required();
  bisections->callback([o] {
    auto db = open_db(*o);
    notify::Notifier n(*db, config_of(*o));
    std::printf("queued %d mail(s)\n", notify::queue_bisection_reports(n, *db, o->from, now_s()));
  });

  auto* send = notify->add_subcommand(
      "send", "Deliver the outbox: retries with backoff; loops unless --once");
  add_common(send);
  send->add_flag("--dry-run", o->dry_run, "Print the due mails; send and mark nothing");
  send->add_option("--maildir", o->maildir, "Write the mails to this Maildir");
  send->add_option("--smtp", o->smtp, "SMTP server: smtp://HOST[:PORT] or smtps://HOST[:PORT]");
  send->add_flag("--starttls", o->starttls, "Require STARTTLS on smtp://");
  send->add_option("--smtp-user", o->smtp_user, "AUTH user");
  send->add_option("--smtp-password-env", o->smtp_password_env,
                   "Name of the environment variable holding the AUTH password");
  send->add_option("--timeout", o->timeout_s, "SMTP timeout per mail, seconds");
  send->add_flag("--once", o->once, "Deliver what is due and exit");
  send->add_option("--interval", o->interval_s, "Seconds between rounds when looping");
  send->add_option("--max-attempts", o->max_attempts, "Attempts before a mail is marked failed");
  send->add_flag("--retry-now", o->retry_now,
                 "Make the mails waiting for a retry due at once (the server is back)");
  send->callback([o, &ctx] {
    int targets = o->dry_run + !o->maildir.empty() + !o->smtp.empty();
    if (targets != 1) throw UsageError("notify send: give one of --dry-run, --maildir, --smtp");
    auto db = open_db(*o);
    notify::Outbox box(*db);
    if (o->dry_run) {
      for (const auto& m : box.due_messages(now_s())) {
        auto out = notify::stream_transport(stdout);
        out->send({"kci@localhost", {}}, m);
      }
      return;
    }
    std::unique_ptr<notify::Transport> transport;
    if (!o->maildir.empty()) {
      transport = notify::maildir_transport(o->maildir);
    } else {
      notify::SmtpOptions s;
      s.url = o->smtp;
      s.starttls = o->starttls;
      s.user = o->smtp_user;
      if (!o->smtp_password_env.empty()) {
        const char* p = std::getenv(o->smtp_password_env.c_str());
        if (!p) throw UsageError("--smtp-password-env: $" + o->smtp_password_env + " is not set");
        s.password = p;
      }
      s.timeout_s = o->timeout_s;
      transport = notify::smtp_transport(s);
    }
    notify::RetryPolicy policy;
    policy.max_attempts = o->max_attempts;
    // One sender per database (kci serve --smtp/--maildir, other `send`s).
    notify::SenderLease lease(*db, notify::SenderLease::default_holder(),
                              std::max(60L, 3 * o->interval_s));
    bool retry_now = o->retry_now;
    while (true) {
      if (lease.acquire(now_s())) {
        if (retry_now) {
          std::fprintf(stderr, "kci notify: %d mail(s) waiting for a retry made due now\n",
                       box.retry_now(now_s()));
          retry_now = false;
        }
        std::int64_t now = now_s();
        notify::DeliveryStats st = box.deliver(*transport, now, policy);
        if (st.sent || st.retried || st.failed) {
          std::fprintf(stderr, "kci notify: sent %d, retry later %d, failed %d\n", st.sent,
                       st.retried, st.failed);
        }
        if (st.retried || st.failed) {
          // Not delivered: say why and when; the mails stay in the outbox.
          std::fprintf(stderr, "kci notify: not delivered: %s\n", st.last_error.c_str());
          if (st.retried) {
            std::fprintf(stderr,
                         "kci notify: %d mail(s) kept in the outbox, next retry in %lld s "
                         "(or now with --retry-now)\n",
                         st.retried, static_cast<long long>(st.next_retry - now));
          }
          if (o->once) ctx.exit_status = kExitFailure;
        }
      } else {
        std::fprintf(stderr, "kci notify: another sender delivers this outbox (lease held)\n");
      }
      if (o->once) break;
      std::this_thread::sleep_for(std::chrono::seconds(o->interval_s));
    }
    lease.release();
  });
}

}  // namespace

// After cmd_notify.cpp's "notify" (order 71).
KCI_COMMAND(72, register_notify_run);

}  // namespace kci::cli
