// SPDX-License-Identifier: LGPL-2.1-or-later
// A series' checkout into the store, through the one way results are
// written (ingest::Loader: the load and its change event in one
// transaction).
#pragma once

#include "ingest/loader.h"
#include "pipeline/source/monitor.h"

namespace kci::inbox {

// Validates the checkout as a KCIDB report, upgrades it to the store's
// version and loads it. Throws InvalidInputError when the report is
// invalid (a bug), store::StoreError when the database fails.
void load_checkout(ingest::Loader& loader, const report::Checkout& checkout);

}  // namespace kci::inbox
