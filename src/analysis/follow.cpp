// SPDX-License-Identifier: LGPL-2.1-or-later
#include "analysis/follow.h"

#include <algorithm>

namespace kci::analysis {

std::string FollowStats::describe() const {
  std::string s = rebuilt ? "rebuilt" : std::to_string(events) + " change event(s)";
  s += " (cursor " + std::to_string(from) + " -> " + std::to_string(to) + "): ";
  return s + update.describe();
}

namespace {

void add_all(std::vector<std::string>& to, const std::vector<std::string>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

void sort_unique(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

void add_stats(UpdateStats& to, const UpdateStats& from) {
  to.results += from.results;
  to.identities += from.identities;
  to.checkouts += from.checkouts;
}

}  // namespace

ingest::ObjectsChanged merge_events(const std::vector<ingest::ObjectsChanged>& events) {
  ingest::ObjectsChanged m;
  for (const auto& e : events) {
    add_all(m.checkouts, e.checkouts);
    add_all(m.builds, e.builds);
    add_all(m.tests, e.tests);
    add_all(m.incidents, e.incidents);
    add_all(m.builds_status_changed, e.builds_status_changed);
    add_all(m.tests_status_changed, e.tests_status_changed);
    m.issues.insert(m.issues.end(), e.issues.begin(), e.issues.end());
    m.sequence = std::max(m.sequence, e.sequence);
    m.committed_at = e.committed_at;
  }
  for (auto* v : {&m.checkouts, &m.builds, &m.tests, &m.incidents, &m.builds_status_changed,
                  &m.tests_status_changed})
    sort_unique(*v);
  std::sort(m.issues.begin(), m.issues.end(), [](const auto& a, const auto& b) {
    return a.id != b.id ? a.id < b.id : a.version < b.version;
  });
  m.issues.erase(std::unique(m.issues.begin(), m.issues.end(),
                             [](const auto& a, const auto& b) {
                               return a.id == b.id && a.version == b.version;
                             }),
                 m.issues.end());
  return m;
}

FollowStats rebuild_and_mark(Analyzer& analyzer, ingest::ChangeLog& log,
                             const std::string& consumer) {
  FollowStats stats;
  stats.from = log.cursor(consumer);
  // Taken before the rebuild reads the store: every event up to here is
  // committed, so its objects are in what the rebuild reads; later events
  // are applied again by catch_up (idempotent).
  std::uint64_t mark = log.last_sequence();
  stats.update = analyzer.rebuild();
  stats.rebuilt = true;
  log.advance(consumer, mark);
  stats.to = std::max(stats.from, mark);
  return stats;
}

FollowStats catch_up(Analyzer& analyzer, ingest::ChangeLog& log, const std::string& consumer,
                     std::uint64_t until, std::size_t batch) {
  if (batch == 0) batch = 1;
  FollowStats stats;
  stats.from = log.cursor(consumer);
  std::uint64_t cursor = stats.from;
  bool known = false;
  if (cursor == 0) {
    for (const auto& [name, seq] : log.cursors()) known = known || name == consumer;
  }
  if (!known && cursor == 0) {
    FollowStats r = rebuild_and_mark(analyzer, log, consumer);
    stats.rebuilt = true;
    stats.update = r.update;
    cursor = r.to;
  }
  while (true) {
    auto events = log.read_after(cursor, batch);
    std::size_t read = events.size();
    if (until) std::erase_if(events, [&](const auto& e) { return e.sequence > until; });
    if (events.empty()) break;
    ingest::ObjectsChanged merged = merge_events(events);
    add_stats(stats.update, analyzer.update(merged));
    // Only after the update committed (at least once).
    log.advance(consumer, merged.sequence);
    cursor = merged.sequence;
    stats.events += events.size();
    if (read < batch || events.size() < read) break;
  }
  stats.to = cursor;
  return stats;
}

}  // namespace kci::analysis
