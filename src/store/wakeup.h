// SPDX-License-Identifier: LGPL-2.1-or-later
// Wake-ups between processes that share a database.
//
// Why: kci's services (kci run's scheduler, workers and analysis, kci
// serve's analysis/triage/notify round) read tables that other processes
// write: another `kci run` on the same PostgreSQL database, a `kci serve`
// taking submissions. They look at those tables every poll interval; on
// PostgreSQL a writer also announces its change (NOTIFY) and a waiting
// service wakes at once (LISTEN), so a node made available or a report
// loaded elsewhere is seen within milliseconds, not at the next poll. The
// poll stays as the fallback (a dropped connection, SQLite).
//
// On SQLite there is nothing to listen to: its writers are processes of one
// host, and the poll is short.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/database_spec.h"
#include "store/sql.h"

namespace kci::store {

// Node transitions of kci run (orchestrator's event log).
inline constexpr const char* kNodesChannel = "kci_nodes";
// Appends to the ingest change log (objects loaded).
inline constexpr const char* kChangesChannel = "kci_changes";

// Announces a change on channel to every listener of sql's database: on
// PostgreSQL a NOTIFY, delivered when the current transaction commits (at
// once outside one; never when it rolls back; several in one transaction
// arrive as one); on SQLite nothing.
void announce(SqlConnection& sql, std::string_view channel);

// Listens on channels of a database, on a connection of its own. One thread
// waits; another may interrupt it.
class WakeupListener {
 public:
  // Opens the connection and LISTENs (PostgreSQL; when the server cannot be
  // reached now, each wait() tries again); nothing on SQLite.
  WakeupListener(const DatabaseSpec& spec, const std::vector<std::string>& channels);
  ~WakeupListener();
  WakeupListener(const WakeupListener&) = delete;
  WakeupListener& operator=(const WakeupListener&) = delete;

  // False on SQLite: wait() only sleeps.
  bool listening() const;

  // Waits up to timeout for announcements; true when at least one arrived
  // (every pending one is consumed). False on timeout, on interrupt(), and
  // on SQLite after the timeout. A lost connection makes this call return
  // false; the next call connects and LISTENs again and, when that works,
  // returns true at once: announcements made while away are lost on the
  // server, so the caller must look for itself.
  bool wait(std::chrono::milliseconds timeout);

  // Makes the current (or next) wait() return at once. Any thread.
  void interrupt();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kci::store
