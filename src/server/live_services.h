// SPDX-License-Identifier: LGPL-2.1-or-later
// What `kci serve` keeps live after every ingest commit: the analysis
// tables, triage (known issues, incidents) and notifications (reports of
// new regressions queued to the outbox, delivered by the one sender of the
// database). Each is a consumer of the durable change log with a cursor of
// its own ("analysis", "triage", "notify"), so nothing is missed across a
// crash or restart: a round reads the log's newest sequence N, then runs
//
//   analysis::catch_up   (Analyzer::update of the new events' ids)  -> cursor "analysis"
//   triage::triage_catch_up (incidents via ingest::Loader)          -> cursor "triage"
//   notify::notify_catch_up (checkouts pending), Notifier::process   -> cursor "notify"
//   Outbox::deliver, if this process holds the sender lease
//
// each up to N, each cursor moved only after its work committed (at least
// once; every step is idempotent). Rounds run on a thread of their own: at
// start (catching up), after each ChangeBus event, and every `poll` (quiet
// checkouts, retries).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "analysis/follow.h"
#include "ingest/change_event.h"
#include "notify/notifier.h"
#include "notify/outbox.h"
#include "notify/transport.h"
#include "store/database_spec.h"
#include "triage/follow.h"
#include "triage/triager.h"

namespace kci::server {

struct LiveOptions {
  store::DatabaseSpec database;
  bool analysis = true, triage = true, notify = true;
  std::string rules_file;  // known-issue rules (YAML); "": log signatures only
  triage::TriageOptions triage_options;
  notify::NotifierConfig notifier;  // subscriptions, sender, quiet time
  std::string base_url;             // prefix of the dashboard links in mails
  // Delivery: null queues only (`kci notify send` delivers).
  std::shared_ptr<notify::Transport> transport;
  notify::RetryPolicy retry;
  long lease_seconds = 60;
  std::chrono::milliseconds poll{2000};
  std::size_t batch = 200;  // change events per step
  // Prefix of the rounds' log lines.
  std::string log_prefix = "kci serve";
  // Unix seconds now (tests move time).
  std::function<std::int64_t()> clock;
};

struct LiveRound {
  std::uint64_t until = 0;  // the newest sequence of the round
  analysis::FollowStats analysis;
  triage::TriageFollowStats triage;
  std::size_t notify_events = 0;
  int queued = 0;
  bool sender = false;  // this process held the sender lease
  notify::DeliveryStats delivered;
  std::string describe() const;
  bool did_something() const;
};

class LiveServices {
 public:
  // Opens its connections, applies the migrations, reads the rules.
  // Throws on a bad rules file or database.
  explicit LiveServices(LiveOptions options);
  ~LiveServices();
  LiveServices(const LiveServices&) = delete;
  LiveServices& operator=(const LiveServices&) = delete;

  // One round on the caller's thread (serialised with the worker's).
  LiveRound run_once();
  // Subscribes to bus (may be null: polling only) and starts the worker,
  // whose first round catches up from the cursors.
  void start(ingest::ChangeBus* bus);
  // Finishes the current round and joins the worker.
  void stop();
  // Waits until a round that started after this call has finished (every
  // event committed before the call is then handled). False on timeout.
  bool wait_round(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kci::server
