// SPDX-License-Identifier: LGPL-2.1-or-later
// Triage in the ingest path: a ChangeBus subscriber that triages the builds
// and tests whose status changed in each committed batch (new failures) and
// loads the issues and incidents it finds into the store. Its own load is
// announced like any other; an event carrying only issues and incidents
// triggers nothing, so there is no loop. Delivery is at least once and
// incident ids are deterministic, so a batch announced twice changes
// nothing the second time.
#pragma once

#include <memory>

#include "ingest/change_event.h"
#include "store/database_spec.h"
#include "triage/triager.h"

namespace kci::triage {

// What one event's triage did (for logs and tests).
TriageSummary triage_event(store::Store& store, const ingest::ObjectsChanged& event,
                           const Triager& triager);

// A subscriber for ChangeBus::subscribe(): it opens its own connection to
// the database of `spec` (one per subscriber, used from the publishing
// thread). Errors are reported on stderr and do not stop ingest.
std::function<void(const ingest::ObjectsChanged&)> make_triage_subscriber(
    store::DatabaseSpec spec, std::shared_ptr<const Triager> triager);

}  // namespace kci::triage
