// SPDX-License-Identifier: LGPL-2.1-or-later
// Who a bisection report goes to: the culprit's author and the people in
// its trailers (Signed-off-by, Reviewed-by, Acked-by, Tested-by,
// Reported-by, Co-developed-by, Suggested-by), as KernelCI did.
#pragma once

#include <string>
#include <vector>

#include "bisect/auto_bisect.h"
#include "notify/header.h"
#include "notify/notifier.h"
#include "notify/reports.h"

namespace kci::notify {

// The author first, then trailer addresses in order, each address once
// (compared case-insensitively). Text that is not a plain address is
// dropped, never passed on.
std::vector<Address> bisection_recipients(const BisectionResult& result);

// The bisection email's data from a stored bisection (bisect/auto_bisect.h):
// the tree, build configuration and test of its request, the endpoints,
// the culprit, the checks and `git bisect log` of its result JSON. A check
// that was neither PASS nor FAIL (a revert conflict, skipped) reads "" (not
// run). Throws InvalidInputError when the bisection found no culprit.
BisectionResult bisection_report_of(const bisect::BisectionRecord& record,
                                    const std::string& reported_by = "");

// Queues the email of every done bisection with a culprit in the bisections
// table (bisect/auto_bisect.h) through `notifier` (subscriptions with kind
// bisection, for the tree of the bisection's first failing checkout).
// Idempotent: the outbox queues the same content once, so running it after
// every round mails each bisection once. Returns the mails newly queued.
int queue_bisection_reports(Notifier& notifier, store::SqlConnection& sql,
                            const std::string& reported_by, std::int64_t now);

}  // namespace kci::notify
