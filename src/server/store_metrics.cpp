// SPDX-License-Identifier: LGPL-2.1-or-later
#include "server/store_metrics.h"

#include "ingest/change_log.h"
#include "orchestrator/metrics.h"

namespace kci::server {

std::string render_store_metrics(store::SqlConnection& sql, orchestrator::Millis now) {
  std::string out;
  auto line = [&out](const std::string& text) { out += text + "\n"; };
  if (sql.component_version(ingest::ChangeLog::kComponent) > 0) {
    ingest::ChangeLog log(sql, false);
    std::uint64_t last = log.last_sequence();
    line("# HELP kci_change_log_position The last sequence number of the change log.");
    line("# TYPE kci_change_log_position counter");
    line("kci_change_log_position " + std::to_string(last));
    line("# HELP kci_change_log_consumer_lag Change-log events a consumer has not read yet.");
    line("# TYPE kci_change_log_consumer_lag gauge");
    for (const auto& [consumer, seq] : log.cursors()) {
      line("kci_change_log_consumer_lag{consumer=\"" + orchestrator::prometheus_label(consumer) +
           "\"} " + std::to_string(seq >= last ? 0 : last - seq));
    }
  }
  if (sql.component_version("notify") > 0) {
    line("# HELP kci_notify_outbox Messages of the notification outbox by state.");
    line("# TYPE kci_notify_outbox gauge");
    sql.exec("SELECT state, COUNT(*) FROM notify_outbox GROUP BY state ORDER BY state", {},
             [&](const store::SqlRow& r) {
               line("kci_notify_outbox{state=\"" +
                    orchestrator::prometheus_label(std::string(r.text(0))) + "\"} " +
                    std::to_string(r.integer(1)));
             });
  }
  orchestrator::render_node_metrics(sql, now, out);
  return out;
}

}  // namespace kci::server
