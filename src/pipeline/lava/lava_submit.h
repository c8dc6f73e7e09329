// SPDX-License-Identifier: LGPL-2.1-or-later
// Submitting jobs to a LAVA server over its REST API (v0.2), with
// KernelCI's back-pressure rule: a device type whose queue is already deep
// gets no more jobs.
#pragma once

#include <string>
#include <vector>

namespace kci::pipeline {

struct LavaServer {
  std::string url;           // https://lava.example.org (no /api suffix)
  std::string token;         // API token: "Authorization: Token <token>"
  int max_queue_depth = 10;  // jobs queued per online device before skipping
};

struct LavaSubmission {
  bool submitted = false;
  std::vector<long long> job_ids;
  std::string reason;  // why it was skipped or failed
  int online_devices = 0;
  int queued_jobs = 0;
};

// Skips (submitted = false, reason set) when the device type has no online
// device (health Good) or queued >= max_queue_depth x online; otherwise
// POSTs the definition to /api/v0.2/jobs/. Throws Error on HTTP trouble.
// The HTTP client is src/client's (libcurl).
LavaSubmission submit_lava_job(const LavaServer& server, const std::string& device_type,
                               const std::string& definition);

}  // namespace kci::pipeline
