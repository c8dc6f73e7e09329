// SPDX-License-Identifier: LGPL-2.1-or-later
#include "server/live_services.h"

#include <atomic>

#include "analysis/analyzer.h"
#include "ingest/change_log.h"
#include "notify/analysis_source.h"
#include "notify/follow.h"
#include "notify/sender_lease.h"
#include "store/store.h"
#include "store/wakeup.h"
#include "triage/rules.h"
#include "util/log.h"

namespace kci::server {

std::string LiveRound::describe() const {
  std::string s = "live round to change " + std::to_string(until) + ": analysis " +
                  analysis.describe() + "; triage " + std::to_string(triage.events) +
                  " event(s), " + std::to_string(triage.summary.results) + " failed result(s), " +
                  std::to_string(triage.summary.incidents) + " incident(s); notify " +
                  std::to_string(notify_events) + " event(s), " + std::to_string(queued) +
                  " mail(s) queued";
  if (sender) {
    s += ", sent " + std::to_string(delivered.sent) + ", retry " +
         std::to_string(delivered.retried) + ", failed " + std::to_string(delivered.failed);
  }
  return s;
}

bool LiveRound::did_something() const {
  return analysis.events || analysis.rebuilt || triage.events || notify_events || queued ||
         delivered.sent || delivered.retried || delivered.failed;
}

struct LiveServices::Impl {
  LiveOptions options;
  std::shared_ptr<const triage::Triager> triager;
  ingest::ChangeBus* bus = nullptr;
  int subscription = 0;

  // The worker's connections (opened on first use, reopened after an error).
  std::unique_ptr<store::Store> store;
  std::unique_ptr<store::SqlConnection> sql;
  std::unique_ptr<analysis::Analyzer> analyzer;
  std::unique_ptr<ingest::ChangeLog> log;
  std::unique_ptr<notify::Notifier> notifier;
  std::unique_ptr<notify::AnalysisReportSource> source;
  std::unique_ptr<notify::SenderLease> lease;

  std::mutex round_mutex;  // one round at a time
  std::mutex mutex;        // the counters below
  std::condition_variable wake, done;
  std::uint64_t requested = 0, started = 0, finished = 0;
  bool stopping = false;
  std::thread worker;
  // PostgreSQL: loads by other processes (another kci serve, kci run) wake
  // a round at once instead of at the next poll (store/wakeup.h).
  std::unique_ptr<store::WakeupListener> listener;
  std::atomic<bool> listening{false};
  std::thread listener_thread;

  std::int64_t now() const {
    if (options.clock) return options.clock();
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  void open() {
    if (sql) return;
    store = store::open_store(options.database);
    store->init(true);
    sql = store::SqlConnection::open(options.database);
    log = std::make_unique<ingest::ChangeLog>(*sql);
    analysis::AnalysisOptions analysis_options;
    // Checkouts ordered by git ancestry in the monitor's mirrors, if named.
    analysis_options.repositories = analysis::repositories_from_env();
    analyzer = std::make_unique<analysis::Analyzer>(*store, *sql, analysis_options);
    if (options.notify) {
      notifier = std::make_unique<notify::Notifier>(*sql, options.notifier);
      source = std::make_unique<notify::AnalysisReportSource>(*store, *sql, options.base_url,
                                                              options.notifier.build);
      // The notify cursor exists from here on: events committed after the
      // services started are mailed about, even before the first round.
      notify::ensure_notify_cursor(*log);
      if (options.transport) {
        lease = std::make_unique<notify::SenderLease>(*sql, notify::SenderLease::default_holder(),
                                                      options.lease_seconds);
      }
    }
  }

  void close() {
    lease.reset();
    source.reset();
    notifier.reset();
    analyzer.reset();
    log.reset();
    sql.reset();
    store.reset();
  }

  LiveRound round() {
    std::lock_guard lock(round_mutex);
    LiveRound r;
    try {
      open();
      r.until = log->last_sequence();
      // Analysis first (triage and notify read its tables), then triage
      // (notify names the known issues it recorded), then notify; every
      // step stops at the same sequence.
      if (options.analysis && r.until)
        r.analysis = analysis::catch_up(*analyzer, *log, analysis::kAnalysisConsumer, r.until,
                                        options.batch);
      if (options.triage && r.until)
        r.triage = triage::triage_catch_up(*store, *log, *triager, r.until, options.batch, bus);
      if (options.notify) {
        std::int64_t t = now();
        r.notify_events =
            notify::notify_catch_up(*notifier, *log, t, r.until, options.batch).events;
        r.queued = notifier->process(*source, t);
        if (lease && lease->acquire(t)) {
          r.sender = true;
          r.delivered = notifier->outbox().deliver(*options.transport, t, options.retry);
        }
      }
    } catch (const std::exception& e) {
      log::error(std::string("kci serve: live round failed (retried next round): ") + e.what());
      close();
    }
    return r;
  }

  void loop() {
    while (true) {
      std::uint64_t target = 0;
      {
        std::unique_lock lock(mutex);
        wake.wait_for(lock, options.poll, [&] { return stopping || requested != started; });
        if (stopping) break;
        started = target = requested;
      }
      LiveRound r = round();
      if (r.did_something()) log::info(options.log_prefix + ": " + r.describe());
      {
        std::lock_guard lock(mutex);
        finished = target;
      }
      done.notify_all();
    }
  }

  void request() {
    {
      std::lock_guard lock(mutex);
      ++requested;
    }
    wake.notify_one();
  }
};

LiveServices::LiveServices(LiveOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  triage::RuleSet rules;
  if (!impl_->options.rules_file.empty()) rules = triage::load_rules(impl_->options.rules_file);
  impl_->triager =
      std::make_shared<const triage::Triager>(std::move(rules), impl_->options.triage_options);
  impl_->open();
}

LiveServices::~LiveServices() { stop(); }

LiveRound LiveServices::run_once() { return impl_->round(); }

void LiveServices::start(ingest::ChangeBus* bus) {
  if (impl_->worker.joinable()) return;
  impl_->bus = bus;
  if (bus)
    impl_->subscription =
        bus->subscribe([this](const ingest::ObjectsChanged&) { impl_->request(); });
  impl_->stopping = false;
  impl_->worker = std::thread([this] { impl_->loop(); });
  if (impl_->options.database.driver == store::Driver::kPostgresql) {
    impl_->listener = std::make_unique<store::WakeupListener>(
        impl_->options.database, std::vector<std::string>{store::kChangesChannel});
    impl_->listening = true;
    impl_->listener_thread = std::thread([this] {
      while (impl_->listening) {
        if (impl_->listener->wait(std::chrono::seconds(5))) impl_->request();
      }
    });
  }
  impl_->request();  // the catch-up round
}

void LiveServices::stop() {
  if (impl_->bus && impl_->subscription) {
    impl_->bus->unsubscribe(impl_->subscription);
    impl_->subscription = 0;
  }
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->listener_thread.joinable()) {
    impl_->listening = false;
    impl_->listener->interrupt();
    impl_->listener_thread.join();
  }
  impl_->listener.reset();
  if (impl_->worker.joinable()) impl_->worker.join();
  std::lock_guard lock(impl_->round_mutex);
  if (impl_->lease) impl_->lease->release();
  impl_->bus = nullptr;
}

bool LiveServices::wait_round(std::chrono::milliseconds timeout) {
  std::uint64_t target = 0;
  {
    std::lock_guard lock(impl_->mutex);
    target = ++impl_->requested;
  }
  impl_->wake.notify_one();
  std::unique_lock lock(impl_->mutex);
  return impl_->done.wait_for(lock, timeout, [&] { return impl_->finished >= target; });
}

}  // namespace kci::server
