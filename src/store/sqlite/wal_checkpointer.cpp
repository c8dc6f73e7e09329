// SPDX-License-Identifier: LGPL-2.1-or-later
#include "store/sqlite/wal_checkpointer.h"

#include <sqlite3.h>

#include "store/store.h"

namespace kci::store {

WalCheckpointer::WalCheckpointer(const std::string& path) {
  int rc =
      sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    throw StoreError("cannot open SQLite database " + path + " for checkpoints: " + msg);
  }
  // A connection learns that the database is in WAL mode when it first
  // reads it; until then a checkpoint does nothing.
  if (sqlite3_exec(db_, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr) != SQLITE_OK) {
    std::string msg = sqlite3_errmsg(db_);
    sqlite3_close(db_);
    throw StoreError("cannot open SQLite database " + path + " for checkpoints: " + msg);
  }
  thread_ = std::thread([this] { run(); });
}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
  sqlite3_close(db_);
}

void WalCheckpointer::poke() {
  {
    std::lock_guard lock(mutex_);
    pending_ = true;
  }
  wake_.notify_one();
}

void WalCheckpointer::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return pending_ || stop_; });
    if (stop_) return;
    pending_ = false;
    lock.unlock();
    // PASSIVE: copies what no reader or writer needs, without waiting for
    // anybody; what it cannot copy now waits for the next poke.
    sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
  }
}

}  // namespace kci::store
