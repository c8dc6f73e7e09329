// SPDX-License-Identifier: LGPL-2.1-or-later
// Notifications as a consumer of the durable change log: the checkouts the
// events after its cursor touched are marked pending (Notifier::on_change),
// then the cursor moves. Queuing the reports of quiet checkouts
// (Notifier::process) is separate and idempotent (the outbox queues each
// content once), so a replay after a crash sends nothing twice.
//
// A consumer that never ran starts at the newest event: turning
// notifications on for a database with a history must not mail about
// every old checkout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "ingest/change_log.h"
#include "notify/notifier.h"

namespace kci::notify {

inline constexpr const char* kNotifyConsumer = "notify";

struct NotifyFollowStats {
  std::size_t events = 0;
  std::uint64_t from = 0, to = 0;
};

// The consumer's cursor, created at the newest event (at most `until`, if
// given) when the consumer never ran.
std::uint64_t ensure_notify_cursor(ingest::ChangeLog& log,
                                   const std::string& consumer = kNotifyConsumer,
                                   std::uint64_t until = 0);

NotifyFollowStats notify_catch_up(Notifier& notifier, ingest::ChangeLog& log, std::int64_t now,
                                  std::uint64_t until = 0, std::size_t batch = 500,
                                  const std::string& consumer = kNotifyConsumer);

}  // namespace kci::notify
