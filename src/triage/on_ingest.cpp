// SPDX-License-Identifier: LGPL-2.1-or-later
#include "triage/on_ingest.h"

#include <mutex>

#include "util/log.h"

namespace kci::triage {

TriageSummary triage_event(store::Store& store, const ingest::ObjectsChanged& event,
                           const Triager& triager) {
  store::QueryIds ids;
  ids.builds = event.builds_status_changed;
  ids.tests = event.tests_status_changed;
  if (ids.empty()) return {};
  return triage_stored(store, ids, triager);
}

std::function<void(const ingest::ObjectsChanged&)> make_triage_subscriber(
    store::DatabaseSpec spec, std::shared_ptr<const Triager> triager) {
  struct State {
    std::mutex mutex;
    std::unique_ptr<store::Store> store;
  };
  auto state = std::make_shared<State>();
  return [state, spec = std::move(spec), triager](const ingest::ObjectsChanged& event) {
    std::lock_guard<std::mutex> lock(state->mutex);
    try {
      if (!state->store) state->store = store::open_store(spec);
      TriageSummary s = triage_event(*state->store, event, *triager);
      if (s.results > 0) {
        log::info("kci: triage of change " + std::to_string(event.sequence) + ": " +
                  std::to_string(s.results) + " failed results, " + std::to_string(s.incidents) +
                  " incidents");
      }
    } catch (const std::exception& e) {
      log::error("kci: triage of change " + std::to_string(event.sequence) +
                 " failed: " + e.what());
      state->store.reset();  // reconnect next time
    }
  };
}

}  // namespace kci::triage
