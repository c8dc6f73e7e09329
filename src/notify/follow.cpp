// SPDX-License-Identifier: LGPL-2.1-or-later
#include "notify/follow.h"

#include <algorithm>

namespace kci::notify {

std::uint64_t ensure_notify_cursor(ingest::ChangeLog& log, const std::string& consumer,
                                   std::uint64_t until) {
  std::uint64_t cursor = log.cursor(consumer);
  if (cursor != 0) return cursor;
  for (const auto& [name, seq] : log.cursors())
    if (name == consumer) return seq;
  // First run: start at the newest event, without a backlog of mail.
  std::uint64_t newest = until ? std::min(until, log.last_sequence()) : log.last_sequence();
  log.advance(consumer, newest);
  return newest;
}

NotifyFollowStats notify_catch_up(Notifier& notifier, ingest::ChangeLog& log, std::int64_t now,
                                  std::uint64_t until, std::size_t batch,
                                  const std::string& consumer) {
  if (batch == 0) batch = 1;
  NotifyFollowStats stats;
  stats.from = stats.to = ensure_notify_cursor(log, consumer, until);
  while (true) {
    auto events = log.read_after(stats.to, batch);
    std::size_t read = events.size();
    if (until) std::erase_if(events, [&](const auto& e) { return e.sequence > until; });
    if (events.empty()) break;
    ingest::ObjectsChanged merged;
    for (const auto& e : events) {
      merged.checkouts.insert(merged.checkouts.end(), e.checkouts.begin(), e.checkouts.end());
      merged.builds.insert(merged.builds.end(), e.builds.begin(), e.builds.end());
      merged.tests.insert(merged.tests.end(), e.tests.begin(), e.tests.end());
    }
    for (auto* v : {&merged.checkouts, &merged.builds, &merged.tests}) {
      std::sort(v->begin(), v->end());
      v->erase(std::unique(v->begin(), v->end()), v->end());
    }
    notifier.on_change(merged, now);
    log.advance(consumer, events.back().sequence);
    stats.to = events.back().sequence;
    stats.events += events.size();
    if (read < batch || events.size() < read) break;
  }
  return stats;
}

}  // namespace kci::notify
