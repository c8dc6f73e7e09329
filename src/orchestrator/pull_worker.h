// SPDX-License-Identifier: LGPL-2.1-or-later
// A pull worker (`kci worker`): a lab behind a firewall that asks `kci
// serve` for work over HTTP (server/worker_service.h) instead of being
// sent it. It claims a kbuild or job node, runs it with a local executor
// (local: kbuild and QEMU; instant: tests) while a heartbeat thread keeps
// its lease alive, and sends the outcome (its KCIDB objects included) back.
// A worker killed in the middle of a node simply stops its heartbeats: the
// server takes the node back when the lease expires and another attempt
// runs it; the dead worker's outcome can never be recorded.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "orchestrator/executor.h"

namespace kci::orchestrator {

struct PullWorkerOptions {
  std::string url;                       // kci serve's base URL, http(s)://host:port
  std::string token;                     // of role worker
  std::string name;                      // this worker's name (letters, digits, - _ .)
  std::chrono::milliseconds poll{1000};  // between claims when there is no work
  bool until_idle = false;               // stop when the server says nothing is left
  // Connection errors and 5xx are retried this long before giving up.
  std::chrono::seconds give_up{120};
  std::function<void(const std::string&)> progress;
};

struct PullWorkerSummary {
  std::int64_t executed = 0;
  std::int64_t refused = 0;  // outcomes the server refused (claim taken back)
};

// Runs until *stop, or until idle (options.until_idle). Throws Error when
// the server refuses the token (401/403) or stays unreachable.
PullWorkerSummary run_pull_worker(Executor& executor, const PullWorkerOptions& options,
                                  const std::atomic<bool>* stop = nullptr);

}  // namespace kci::orchestrator
