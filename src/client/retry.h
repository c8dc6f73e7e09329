// SPDX-License-Identifier: LGPL-2.1-or-later
// Retrying HTTP calls: connection errors and 5xx answers are retried with
// exponential backoff (initial_delay, doubling, capped at max_delay,
// `attempts` tries in all); 4xx answers never (the request itself is wrong).
#pragma once

#include <chrono>
#include <functional>

#include "client/http_client.h"

namespace kci::client {

struct RetryPolicy {
  int attempts = 6;
  std::chrono::milliseconds initial_delay{250};
  std::chrono::milliseconds max_delay{8000};
  // How to wait between tries (default: sleep); tests record the delays.
  std::function<void(std::chrono::milliseconds)> sleep;
};

// True for the answers a retry may cure: no answer at all, or a 5xx.
bool is_retryable(const HttpResponse& response);

// Told before each retry: the failed answer, the try that failed (1-based)
// and the delay before the next one.
using RetryObserver =
    std::function<void(const HttpResponse&, int attempt, std::chrono::milliseconds delay)>;

HttpResponse with_retries(const RetryPolicy& policy, const std::function<HttpResponse()>& call,
                          const RetryObserver& on_retry = {});

}  // namespace kci::client
