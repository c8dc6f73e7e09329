// SPDX-License-Identifier: LGPL-2.1-or-later
// "These objects changed": what every ingest tells the rest of kci after a
// batch is committed to the store. Analysis, triage, notifications and the
// orchestrator consume these events instead of scanning results.
//
// In-process consumers subscribe to a ChangeBus; the same events are
// appended to the durable change log (change_log.h), which out-of-process
// consumers read with a cursor of their own. Delivery is at least once (a
// batch loaded again after a crash is announced again), so consumers must be
// idempotent.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "report/model.h"

namespace kci::ingest {

struct ObjectsChanged {
  // Position in the durable change log (0 until appended).
  std::uint64_t sequence = 0;
  // When the batch was committed (RFC 3339, UTC).
  std::string committed_at;
  // The ids of every object the batch loaded (new or merged), sorted.
  std::vector<std::string> checkouts, builds, tests, incidents;
  std::vector<report::ObjectKey> issues;
  // Builds and tests whose stored status differs from before the batch (a
  // new object with a status counts as changed), sorted.
  std::vector<std::string> builds_status_changed, tests_status_changed;

  bool empty() const {
    return checkouts.empty() && builds.empty() && tests.empty() && incidents.empty() &&
           issues.empty();
  }
};

// In-process fan-out of change events. Subscribers run on the publishing
// (ingest) thread, in subscription order; they must be quick or hand the
// event to a thread of their own. Thread-safe.
class ChangeBus {
 public:
  using Subscriber = std::function<void(const ObjectsChanged&)>;
  // Returns a handle for unsubscribe().
  int subscribe(Subscriber subscriber);
  void unsubscribe(int handle);
  // Calls every subscriber; an exception from one is logged and does not
  // stop the others.
  void publish(const ObjectsChanged& event) const;

 private:
  mutable std::mutex mutex_;
  int next_handle_ = 1;
  std::vector<std::pair<int, Subscriber>> subscribers_;
};

// The event as one line of JSON (what `kci db changes` prints and the
// change log stores):
//   {"sequence":N,"committed_at":"...","checkouts":[ids],"builds":[...],
//    "tests":[...],"incidents":[...],"issues":[{"id":"...","version":N}],
//    "builds_status_changed":[...],"tests_status_changed":[...]}
std::string to_json(const ObjectsChanged& event);
// The inverse; throws InvalidInputError naming the member that is wrong.
ObjectsChanged objects_changed_from_json(std::string_view json);

}  // namespace kci::ingest
