// SPDX-License-Identifier: LGPL-2.1-or-later
#include "orchestrator/metrics.h"

#include <cstdio>
#include <map>
#include <utility>

#include "orchestrator/node_store.h"

namespace kci::orchestrator {

std::string prometheus_label(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<RuntimeHealth> runtime_health(store::SqlConnection& sql, std::size_t recent) {
  std::map<std::pair<std::string, std::string>, RuntimeHealth> by;
  sql.exec(
      "SELECT kind, result, retries, data FROM orch_nodes WHERE state = 'done' AND kind IN "
      "('kbuild', 'job') ORDER BY updated DESC, id DESC LIMIT $1",
      {std::to_string(recent)}, [&](const store::SqlRow& r) {
        std::string kind(r.text(0));
        std::string runtime;
        try {
          auto data = data_from_json(r.text(3));
          auto it = data.find("runtime");
          if (it != data.end()) runtime = it->second;
        } catch (const std::exception&) {
        }
        if (runtime.empty()) runtime = "local";
        RuntimeHealth& h = by[{kind, runtime}];
        h.kind = kind;
        h.runtime = runtime;
        std::int64_t retries = r.integer(2);
        h.attempts += retries + 1;
        h.infrastructure_failures += retries + (r.text(1) == "incomplete" ? 1 : 0);
      });
  std::vector<RuntimeHealth> out;
  for (auto& [key, h] : by) out.push_back(std::move(h));
  return out;
}

void render_node_metrics(store::SqlConnection& sql, Millis now, std::string& out,
                         std::size_t recent) {
  if (sql.component_version("orchestrator") == 0) return;
  NodeStore nodes(sql, [now] { return now; });
  auto line = [&out](const std::string& text) { out += text + "\n"; };

  line("# HELP kci_nodes kci run's nodes by kind, state and result.");
  line("# TYPE kci_nodes gauge");
  for (const NodeCount& c : nodes.counts()) {
    line("kci_nodes{kind=\"" + std::string(kind_name(c.kind)) + "\",state=\"" +
         std::string(state_name(c.state)) + "\",result=\"" +
         (c.result ? std::string(result_name(*c.result)) : std::string()) + "\"} " +
         std::to_string(c.count));
  }

  std::int64_t last = nodes.last_event();
  line("# HELP kci_node_events The last position of kci run's node-transition log.");
  line("# TYPE kci_node_events counter");
  line("kci_node_events " + std::to_string(last));

  line("# HELP kci_scheduler_lag Node transitions a scheduler has not handled yet.");
  line("# TYPE kci_scheduler_lag gauge");
  sql.exec("SELECT service, seq FROM orch_cursors ORDER BY service", {},
           [&](const store::SqlRow& r) {
             line("kci_scheduler_lag{service=\"" + prometheus_label(std::string(r.text(0))) +
                  "\"} " + std::to_string(last - r.integer(1)));
           });

  std::int64_t expired = 0;
  sql.exec(
      "SELECT COUNT(*) FROM orch_nodes WHERE state = 'running' AND deadline IS NOT NULL AND "
      "deadline <= $1",
      {std::to_string(now)}, [&](const store::SqlRow& r) { expired = r.integer(0); });
  line("# HELP kci_claims_expired Running nodes whose claim deadline has passed.");
  line("# TYPE kci_claims_expired gauge");
  line("kci_claims_expired " + std::to_string(expired));

  std::vector<RuntimeHealth> health = runtime_health(sql, recent);
  auto labels = [](const RuntimeHealth& h) {
    return "{kind=\"" + prometheus_label(h.kind) + "\",runtime=\"" + prometheus_label(h.runtime) +
           "\"} ";
  };
  line("# HELP kci_runtime_attempts Attempts of the " + std::to_string(recent) +
       " most recently finished kbuild and job nodes.");
  line("# TYPE kci_runtime_attempts gauge");
  for (const RuntimeHealth& h : health) {
    line("kci_runtime_attempts" + labels(h) + std::to_string(h.attempts));
  }
  line(
      "# HELP kci_runtime_infrastructure_failures Of those, attempts that failed on "
      "infrastructure (retried, or incomplete at the end).");
  line("# TYPE kci_runtime_infrastructure_failures gauge");
  for (const RuntimeHealth& h : health) {
    line("kci_runtime_infrastructure_failures" + labels(h) +
         std::to_string(h.infrastructure_failures));
  }
  line("# HELP kci_runtime_infrastructure_failure_ratio Their share (0: healthy).");
  line("# TYPE kci_runtime_infrastructure_failure_ratio gauge");
  for (const RuntimeHealth& h : health) {
    char value[32];
    std::snprintf(value, sizeof value, "%.4f", h.ratio());
    line("kci_runtime_infrastructure_failure_ratio" + labels(h) + value);
  }
}

}  // namespace kci::orchestrator
