// SPDX-License-Identifier: LGPL-2.1-or-later
// The durable change log: every ObjectsChanged the ingest layer announced,
// in the store's database (component "changes", both drivers), with a
// sequence that only grows, and a cursor per out-of-process consumer.
//
// A reader that remembers the last sequence it handled and asks for what
// comes after it never misses an event: sequences become visible in order
// (see append_in_transaction()). Sequences may have holes (an append rolled
// back with its load); readers must not expect n+1 after n. Delivery is at
// least once: a consumer that crashes before advance() sees the events again.
//
// A ChangeLog is a view over a SqlConnection; it does not own it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ingest/change_event.h"
#include "store/sql.h"

namespace kci::ingest {

class ChangeLog {
 public:
  static constexpr const char* kComponent = "changes";
  static const std::vector<store::Migration>& migrations();

  // Creates the log's tables if needed (apply_migrations), unless the
  // caller says they exist.
  explicit ChangeLog(store::SqlConnection& sql, bool migrate = true);

  // Appends an event in its own transaction; sets event.sequence.
  std::uint64_t append(ObjectsChanged& event);
  // Appends within the caller's open transaction (e.g. the load's, through
  // store::LoadOptions::after_write); sets event.sequence. On PostgreSQL it
  // takes a transaction-scoped lock held until the commit (see the .cpp).
  std::uint64_t append_in_transaction(ObjectsChanged& event);

  // Up to `limit` events with sequence > after, in sequence order.
  std::vector<ObjectsChanged> read_after(std::uint64_t after, std::size_t limit);
  // The highest sequence appended (0 = none).
  std::uint64_t last_sequence();

  // A consumer's cursor: the last sequence it handled (0 = none yet).
  std::uint64_t cursor(const std::string& consumer);
  // Moves a consumer's cursor to `sequence` (never backwards).
  void advance(const std::string& consumer, std::uint64_t sequence);
  // Every consumer with its cursor, by name.
  std::vector<std::pair<std::string, std::uint64_t>> cursors();

 private:
  store::SqlConnection& sql_;
};

}  // namespace kci::ingest
