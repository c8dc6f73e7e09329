// SPDX-License-Identifier: LGPL-2.1-or-later
// Only one sender per database: `kci serve` instances and `kci notify send`
// that deliver the same outbox take a lease (a row in the database, both
// drivers) before delivering, and renew it each round; a sender whose
// lease expired (it died) is replaced by the next one to ask, at once when
// it was a process of the same host that is gone (kill -9). Two senders
// never deliver the same round, so a mail is not sent twice by two
// processes racing on it.
#pragma once

#include <cstdint>
#include <string>

#include "store/sql.h"

namespace kci::notify {

class SenderLease {
 public:
  // holder: a name unique to this process (see default_holder()).
  SenderLease(store::SqlConnection& db, std::string holder, long seconds = 60);
  // Takes or renews the lease at `now` (Unix seconds); true when this
  // holder has it until now + seconds.
  bool acquire(std::int64_t now);
  // Gives the lease up (if held), so another sender may take it at once.
  void release();
  const std::string& holder() const { return holder_; }

  // "host:pid:random", unique per process.
  static std::string default_holder();
  // True when holder (as default_holder() makes them) is a process of this
  // host that no longer runs; its lease is taken over before it expires.
  static bool holder_is_dead_here(const std::string& holder);

 private:
  store::SqlConnection& db_;
  std::string holder_;
  long seconds_;
};

}  // namespace kci::notify
