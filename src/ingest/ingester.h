// SPDX-License-Identifier: LGPL-2.1-or-later
// Ingest workers: take acknowledged submissions from the spool, upgrade them
// to v5.3, merge-load them into the store through a Loader (which appends an
// ObjectsChanged to the change log in the load's transaction and publishes
// it on the ChangeBus after the commit) and move them to archive/ (or to
// failed/ with the reason). Submissions waiting together are loaded in one
// transaction (a batch), which is what makes SQLite keep up; a batch that
// fails is retried one submission at a time so that one bad submission
// cannot fail the others. Loading is idempotent, so a crash between the
// load and the move only means the submission is loaded and announced
// again (at least once).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ingest/change_event.h"
#include "ingest/metrics.h"
#include "ingest/spool.h"
#include "store/database_spec.h"

namespace kci::ingest {

struct IngestOptions {
  int workers = 1;  // each with its own store connection
  std::size_t batch_submissions = 64;
  std::size_t batch_objects = 20000;
};

class Ingester {
 public:
  // bus (may be null) receives one event per committed batch, on the
  // worker's thread.
  Ingester(Spool& spool, store::DatabaseSpec database, Metrics& metrics, IngestOptions options,
           ChangeBus* bus = nullptr);
  ~Ingester();
  Ingester(const Ingester&) = delete;
  Ingester& operator=(const Ingester&) = delete;

  // Opens the workers' store connections and starts them. Throws StoreError.
  void start();
  // Queues an acknowledged submission.
  void enqueue(std::string id, std::chrono::system_clock::time_point acknowledged);
  // Finishes the batches in progress and stops; what is still queued stays
  // in the spool for the next start.
  void stop();
  // Blocks until the queue is empty and no batch is in progress (tests).
  void wait_idle();

 private:
  struct Item {
    std::string id;
    std::chrono::system_clock::time_point acknowledged;
  };
  void run(std::size_t worker);

  Spool& spool_;
  store::DatabaseSpec database_;
  Metrics& metrics_;
  IngestOptions options_;
  ChangeBus* bus_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Item> queue_;
  std::size_t busy_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::vector<std::unique_ptr<class IngestWorkerState>> states_;
};

}  // namespace kci::ingest
