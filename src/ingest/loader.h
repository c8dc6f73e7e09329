// SPDX-License-Identifier: LGPL-2.1-or-later
// The one way kci writes results: every direct load (`kci serve`'s
// ingester, `kci db load`) goes through a Loader, so every write to the
// result tables is announced. A load is one transaction holding both the
// objects and the ObjectsChanged appended to the change log; after the
// commit the event is published on the ChangeBus (if any).
#pragma once

#include "ingest/change_event.h"
#include "ingest/change_log.h"
#include "report/model.h"
#include "store/store.h"

namespace kci::ingest {

class Loader {
 public:
  // store and bus (may be null) must outlive the Loader. The change log's
  // tables are created by the first load. One Loader per thread.
  explicit Loader(store::Store& store, ChangeBus* bus = nullptr);

  // Loads a typed report (deduplicated by the store), appends what it
  // changed to the change log in the same transaction, then publishes the
  // event. An empty report announces nothing (sequence 0). Returns the
  // event (sequence set). Throws store::StoreError (the
  // database) or another kci::Error (the report); nothing is stored then.
  ObjectsChanged load(report::Report report, const store::LoadOptions& options = {});

 private:
  store::Store& store_;
  ChangeBus* bus_;
  bool migrated_ = false;
};

// The ids of a report, sorted and unique, as an event's id lists (the
// status-changed lists and the sequence are left empty).
ObjectsChanged objects_of(const report::Report& report);

}  // namespace kci::ingest
