// SPDX-License-Identifier: LGPL-2.1-or-later
// The pull workers' side of `kci serve` (KernelCI's pull-lab model: a lab
// behind a firewall asks for work instead of being sent it). A worker holds
// a token of role `worker`; it claims kbuild and job nodes of `kci run`'s
// tables, keeps its claim alive with heartbeats, runs the node with its own
// runtime and sends the outcome back (wire.h), whose KCIDB objects must be
// of the token's origins. Claims are the orchestrator's (NodeStore), with a
// short lease instead of the node's timeout: a worker killed in the middle
// of a node stops its heartbeats, the lease expires, and the next claim
// (of any worker) or scheduler round puts the node back for another
// attempt. Outcomes of a claim that was taken back are refused (409), so a
// node's results are loaded once.
//
// Requests and answers are JSON:
//   claim      {"worker":NAME[,"kinds":["kbuild","job"]]}
//              -> {"node":NODE|null,"parent":NODE|null,"lease_seconds":N,"idle":BOOL}
//                 idle: no node is waiting or running and the scheduler has
//                 handled every transition (a worker may stop)
//   heartbeat  {"worker":NAME,"node":ID} -> {"ok":true} | 409
//   complete   {"worker":NAME,"node":ID,"outcome":OUTCOME}
//              -> {"recorded":true,"retry":BOOL,"loaded":N} | 409 | 400 | 403
// A worker's claims are owned by "worker:TOKEN_ID:NAME".
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "ingest/change_event.h"
#include "store/database_spec.h"

namespace kci::server {

struct WorkerServiceOptions {
  int lease_seconds = 60;
  int max_retries = 2;
  std::chrono::milliseconds retry_holdoff{5000};
};

struct WorkerAnswer {
  int status = 200;
  std::string body;  // JSON
};

class WorkerService {
 public:
  // bus (may be null) hears every load.
  WorkerService(const store::DatabaseSpec& database, WorkerServiceOptions options,
                ingest::ChangeBus* bus = nullptr);
  ~WorkerService();

  // token_id: the worker's token; may_write: its origins. Thread-safe (one
  // request at a time on the service's connection).
  WorkerAnswer claim(const std::string& token_id, const std::string& body);
  WorkerAnswer heartbeat(const std::string& token_id, const std::string& body);
  WorkerAnswer complete(const std::string& token_id, const std::string& body,
                        const std::function<bool(const std::string&)>& may_write);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::mutex mutex_;
};

}  // namespace kci::server
