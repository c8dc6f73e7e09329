// SPDX-License-Identifier: LGPL-2.1-or-later
// Triage as a consumer of the durable change log: the builds and tests
// whose status changed in the events after its cursor are triaged (log
// signatures and known-issue rules) and the issues and incidents found are
// loaded through ingest::Loader; the cursor moves after that load
// committed. Replays are harmless: incident ids are deterministic.
// A consumer that never ran starts at the beginning of the log.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "ingest/change_event.h"
#include "ingest/change_log.h"
#include "triage/triager.h"

namespace kci::triage {

inline constexpr const char* kTriageConsumer = "triage";

struct TriageFollowStats {
  std::size_t events = 0;
  std::uint64_t from = 0, to = 0;
  TriageSummary summary;
};

// Triages the events after the consumer's cursor up to `until` (0: the
// newest), `batch` events at a time. The issues and incidents are
// announced on `bus` too, if given.
TriageFollowStats triage_catch_up(store::Store& store, ingest::ChangeLog& log,
                                  const Triager& triager, std::uint64_t until = 0,
                                  std::size_t batch = 200, ingest::ChangeBus* bus = nullptr,
                                  const std::string& consumer = kTriageConsumer);

}  // namespace kci::triage
