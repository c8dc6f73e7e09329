// SPDX-License-Identifier: LGPL-2.1-or-later
// The part of `kci serve`'s /metrics read from the database at each scrape
// (Prometheus text exposition format): the change log's position and each
// consumer's lag behind it, the notification outbox by state, and kci run's
// node tables (orchestrator/metrics.h). Tables that do not exist yet are
// left out.
#pragma once

#include <string>

#include "orchestrator/node.h"
#include "store/sql.h"

namespace kci::server {

std::string render_store_metrics(store::SqlConnection& sql, orchestrator::Millis now);

}  // namespace kci::server
