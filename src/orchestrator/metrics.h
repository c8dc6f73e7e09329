// SPDX-License-Identifier: LGPL-2.1-or-later
// The node tables of `kci run` as Prometheus metrics (text exposition
// format), for `kci serve`'s /metrics and `kci run --status`:
//   kci_nodes{kind,state,result}          nodes per kind, state and result
//   kci_node_events                       the transition log's last position
//   kci_scheduler_lag{service}            events a scheduler cursor has not read
//   kci_claims_expired                    running nodes whose claim deadline passed
//   kci_runtime_attempts{kind,runtime}    attempts of the recent finished nodes
//   kci_runtime_infrastructure_failures{kind,runtime}
//                                         of which failed on infrastructure
//                                         (a retry, or incomplete at the end)
//   kci_runtime_infrastructure_failure_ratio{kind,runtime}
//                                         their share: the runtime's health
// Nothing is written when the database has no node tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "orchestrator/node.h"
#include "store/sql.h"

namespace kci::orchestrator {

struct RuntimeHealth {
  std::string kind;     // kbuild, job
  std::string runtime;  // the node's runtime (data "runtime"), else "local"
  std::int64_t attempts = 0;
  std::int64_t infrastructure_failures = 0;
  double ratio() const {
    return attempts ? static_cast<double>(infrastructure_failures) / attempts : 0.0;
  }
};

// Runtime health over the `recent` most recently finished kbuild and job
// nodes, by kind and runtime (sorted).
std::vector<RuntimeHealth> runtime_health(store::SqlConnection& sql, std::size_t recent = 200);

// Appends the metrics above to out. `now` is the time claims are compared
// with (milliseconds since the epoch).
void render_node_metrics(store::SqlConnection& sql, Millis now, std::string& out,
                         std::size_t recent = 200);

// A Prometheus label value: backslash, double quote and newline escaped.
std::string prometheus_label(const std::string& value);

}  // namespace kci::orchestrator
