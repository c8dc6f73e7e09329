// SPDX-License-Identifier: LGPL-2.1-or-later
#include "triage/follow.h"

#include <algorithm>

namespace kci::triage {

TriageFollowStats triage_catch_up(store::Store& store, ingest::ChangeLog& log,
                                  const Triager& triager, std::uint64_t until, std::size_t batch,
                                  ingest::ChangeBus* bus, const std::string& consumer) {
  if (batch == 0) batch = 1;
  TriageFollowStats stats;
  stats.from = stats.to = log.cursor(consumer);
  while (true) {
    auto events = log.read_after(stats.to, batch);
    std::size_t read = events.size();
    if (until) std::erase_if(events, [&](const auto& e) { return e.sequence > until; });
    if (events.empty()) break;
    store::QueryIds ids;
    for (const auto& e : events) {
      ids.builds.insert(ids.builds.end(), e.builds_status_changed.begin(),
                        e.builds_status_changed.end());
      ids.tests.insert(ids.tests.end(), e.tests_status_changed.begin(),
                       e.tests_status_changed.end());
    }
    for (auto* v : {&ids.builds, &ids.tests}) {
      std::sort(v->begin(), v->end());
      v->erase(std::unique(v->begin(), v->end()), v->end());
    }
    if (!ids.empty()) {
      TriageSummary s = triage_stored(store, ids, triager, bus);
      stats.summary.results += s.results;
      stats.summary.issues += s.issues;
      stats.summary.incidents += s.incidents;
      stats.summary.log_errors += s.log_errors;
    }
    // Only after the incidents committed (at least once).
    log.advance(consumer, events.back().sequence);
    stats.to = events.back().sequence;
    stats.events += events.size();
    if (read < batch || events.size() < read) break;
  }
  return stats;
}

}  // namespace kci::triage
