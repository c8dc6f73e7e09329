// SPDX-License-Identifier: LGPL-2.1-or-later
// The analysis as a consumer of the durable change log (ingest/change_log.h):
// it reads the events after its cursor, updates the analysis tables from
// the ids they name (Analyzer::update, one transaction per batch of events)
// and moves its cursor only after that transaction committed. A crash in
// between replays the batch, which the update handles idempotently.
//
// A consumer that never ran (cursor 0) starts with a rebuild: the log may
// not reach back to the first load (a database loaded before the change
// log existed), and a rebuild costs no more than replaying the whole log.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "analysis/analyzer.h"
#include "ingest/change_event.h"
#include "ingest/change_log.h"

namespace kci::analysis {

inline constexpr const char* kAnalysisConsumer = "analysis";

struct FollowStats {
  std::size_t events = 0;  // change events applied
  std::uint64_t from = 0;  // the cursor before
  std::uint64_t to = 0;    // the cursor after
  bool rebuilt = false;    // a rebuild instead of events
  UpdateStats update;
  std::string describe() const;
};

// The union of the events' id lists (sorted, unique); the sequence is the
// last event's.
ingest::ObjectsChanged merge_events(const std::vector<ingest::ObjectsChanged>& events);

// Applies every event after the consumer's cursor up to `until` (0: up to
// the newest), `batch` events per update transaction, advancing the cursor
// after each. A cursor of 0 means a rebuild first (see above).
FollowStats catch_up(Analyzer& analyzer, ingest::ChangeLog& log,
                     const std::string& consumer = kAnalysisConsumer, std::uint64_t until = 0,
                     std::size_t batch = 200);

// A full rebuild that leaves the consumer's cursor at the newest event
// committed before it started (later events are applied by catch_up).
FollowStats rebuild_and_mark(Analyzer& analyzer, ingest::ChangeLog& log,
                             const std::string& consumer = kAnalysisConsumer);

}  // namespace kci::analysis
