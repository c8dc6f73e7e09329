// SPDX-License-Identifier: LGPL-2.1-or-later
#include "client/retry.h"

#include <algorithm>
#include <thread>

namespace kci::client {

bool is_retryable(const HttpResponse& response) {
  return response.status == 0 || response.status >= 500;
}

HttpResponse with_retries(const RetryPolicy& policy, const std::function<HttpResponse()>& call,
                          const RetryObserver& on_retry) {
  std::chrono::milliseconds delay = policy.initial_delay;
  for (int attempt = 1;; ++attempt) {
    HttpResponse response = call();
    if (!is_retryable(response) || attempt >= policy.attempts) return response;
    if (on_retry) on_retry(response, attempt, delay);
    if (policy.sleep) {
      policy.sleep(delay);
    } else {
      std::this_thread::sleep_for(delay);
    }
    delay = std::min(delay * 2, policy.max_delay);
  }
}

}  // namespace kci::client
