// SPDX-License-Identifier: LGPL-2.1-or-later
// Copies committed WAL pages into a SQLite database file on a thread of its
// own. With SQLite's automatic checkpoints the connection that commits does
// the copy and its fsync right after its COMMIT, while it still holds the
// store's lock: about 0.5 s per million objects loaded on the project
// machine (docs/performance.md). The loading connection turns automatic
// checkpoints off and pokes this after each commit; a PASSIVE checkpoint
// never blocks the writer, and the WAL is reused from its start once a
// checkpoint has caught up. The last connection to close checkpoints the
// rest, as SQLite always does.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;

namespace kci::store {

class WalCheckpointer {
 public:
  // Opens its own connection to the database file at path. Throws
  // StoreError if it cannot.
  explicit WalCheckpointer(const std::string& path);
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;
  // Stops the thread after the checkpoint in progress, if any.
  ~WalCheckpointer();

  // A transaction was committed: checkpoint soon.
  void poke();

 private:
  void run();

  sqlite3* db_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool pending_ = false;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace kci::store
