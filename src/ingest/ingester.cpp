// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ingest/ingester.h"

#include <cstdio>
#include <optional>

#include "ingest/loader.h"
#include "report/model.h"
#include "report/upgrade.h"
#include "report/validate.h"
#include "report/version.h"
#include "store/store.h"
#include "util/log.h"

namespace kci::ingest {

// One worker's store connection, and its Loader.
class IngestWorkerState {
 public:
  std::unique_ptr<store::Store> store;
  std::unique_ptr<Loader> loader;
};

namespace {

// A spooled submission turned into a typed v5.3 report. Throws
// InvalidInputError with the reason when it cannot be.
report::Report parse_spooled(const std::string& body) {
  json::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (doc.HasParseError()) throw InvalidInputError("the spooled file is not valid JSON");
  report::ValidationResult validation = report::validate_report(doc);
  if (!validation.ok()) {
    throw InvalidInputError("invalid report: " + validation.errors.front().str());
  }
  report::upgrade_report(doc, report::latest_version());
  return report::from_json(doc);
}

template <typename T>
void append(std::vector<T>& to, std::vector<T>& from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

void append_report(report::Report& to, report::Report& from) {
  append(to.checkouts, from.checkouts);
  append(to.builds, from.builds);
  append(to.tests, from.tests);
  append(to.issues, from.issues);
  append(to.incidents, from.incidents);
}

void count_loaded(Metrics& metrics, const report::Report& r) {
  metrics.loaded(report::ObjectType::kCheckout, r.checkouts.size());
  metrics.loaded(report::ObjectType::kBuild, r.builds.size());
  metrics.loaded(report::ObjectType::kTest, r.tests.size());
  metrics.loaded(report::ObjectType::kIssue, r.issues.size());
  metrics.loaded(report::ObjectType::kIncident, r.incidents.size());
}

}  // namespace

Ingester::Ingester(Spool& spool, store::DatabaseSpec database, Metrics& metrics,
                   IngestOptions options, ChangeBus* bus)
    : spool_(spool),
      database_(std::move(database)),
      metrics_(metrics),
      options_(options),
      bus_(bus) {
  if (options_.workers < 1) options_.workers = 1;
  if (options_.batch_submissions < 1) options_.batch_submissions = 1;
}

Ingester::~Ingester() { stop(); }

void Ingester::start() {
  for (int i = 0; i < options_.workers; ++i) {
    auto state = std::make_unique<IngestWorkerState>();
    state->store = store::open_store(database_);
    state->loader = std::make_unique<Loader>(*state->store, bus_);
    states_.push_back(std::move(state));
  }
  for (std::size_t i = 0; i < states_.size(); ++i) {
    threads_.emplace_back([this, i] { run(i); });
  }
}

void Ingester::enqueue(std::string id, std::chrono::system_clock::time_point acknowledged) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({std::move(id), acknowledged});
  }
  wake_.notify_one();
}

void Ingester::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void Ingester::wait_idle() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return (queue_.empty() && busy_ == 0) || stopping_; });
}

void Ingester::run(std::size_t worker) {
  Loader& loader = *states_[worker]->loader;
  for (;;) {
    std::vector<Item> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      while (!queue_.empty() && batch.size() < options_.batch_submissions) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      ++busy_;
    }

    // Parse every submission of the batch; those that cannot be parsed fail
    // on their own.
    struct Parsed {
      Item item;
      report::Report report;
    };
    std::vector<Parsed> parsed;
    std::size_t objects = 0;
    auto fail = [&](const Item& item, const std::string& reason) {
      log::error("kci serve: submission " + item.id + " failed: " + reason);
      try {
        spool_.fail(item.id, reason);
      } catch (const Error& e) {
        log::error(std::string("kci serve: ") + e.what());
      }
      metrics_.submissions_failed.fetch_add(1);
      metrics_.spool_depth.fetch_sub(1);
    };
    for (Item& item : batch) {
      try {
        report::Report r = parse_spooled(spool_.read(item.id));
        objects += r.size();
        parsed.push_back({std::move(item), std::move(r)});
      } catch (const Error& e) {
        fail(item, e.what());
      }
    }

    auto finish = [&](const Parsed& p, const report::Report& counted) {
      try {
        spool_.archive(p.item.id);
      } catch (const Error& e) {
        log::error(std::string("kci serve: ") + e.what());
      }
      count_loaded(metrics_, counted);
      metrics_.submissions_processed.fetch_add(1);
      metrics_.spool_depth.fetch_sub(1);
      std::chrono::duration<double> latency =
          std::chrono::system_clock::now() - p.item.acknowledged;
      metrics_.ingest_latency.observe(latency.count());
    };

    std::vector<Item> retry;
    bool batch_loaded = false;
    if (parsed.size() > 1 && objects <= options_.batch_objects) {
      report::Report combined;
      for (Parsed& p : parsed) {
        report::Report copy = p.report;
        append_report(combined, copy);
      }
      try {
        loader.load(std::move(combined));
        batch_loaded = true;
      } catch (const Error& e) {
        log::warn("kci serve: loading a batch of " + std::to_string(parsed.size()) +
                  " submissions failed (" + e.what() + "); loading them one by one");
      }
    }
    if (batch_loaded) {
      for (const Parsed& p : parsed) finish(p, p.report);
    } else {
      for (Parsed& p : parsed) {
        try {
          report::Report copy = p.report;
          loader.load(std::move(copy));
          finish(p, p.report);
        } catch (const store::StoreError& e) {
          // The database failed, not the submission: keep it in the spool
          // for the next start rather than calling it failed.
          log::warn("kci serve: submission " + p.item.id + " not loaded, will retry: " + e.what());
          retry.push_back(p.item);
        } catch (const Error& e) {
          fail(p.item, e.what());
        }
      }
    }

    {
      std::unique_lock lock(mutex_);
      if (!retry.empty()) {
        // The database is failing: give it a moment rather than spinning.
        wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
        for (Item& item : retry) queue_.push_back(std::move(item));
      }
      --busy_;
    }
    idle_.notify_all();
  }
}

}  // namespace kci::ingest
