// SPDX-License-Identifier: LGPL-2.1-or-later
#include "notify/sender_lease.h"

#include <unistd.h>

#include <random>

namespace kci::notify {
namespace {

const std::vector<store::Migration>& migrations() {
  static const std::vector<store::Migration> m = {
      {1, "notify: the one sender's lease",
       "CREATE TABLE notify_sender_lease (name TEXT PRIMARY KEY, holder TEXT NOT NULL, "
       "expires BIGINT NOT NULL)",
       "CREATE TABLE notify_sender_lease (name TEXT PRIMARY KEY, holder TEXT NOT NULL, "
       "expires BIGINT NOT NULL)"},
  };
  return m;
}

}  // namespace

SenderLease::SenderLease(store::SqlConnection& db, std::string holder, long seconds)
    : db_(db), holder_(std::move(holder)), seconds_(seconds) {
  db_.apply_migrations("notify_sender", migrations());
}

bool SenderLease::acquire(std::int64_t now) {
  // One statement: insert the lease, or take it over when it is ours or
  // has expired. The row is left unchanged (0 rows) when another holder's
  // lease is still running.
  std::size_t changed = db_.exec(
      "INSERT INTO notify_sender_lease (name, holder, expires) VALUES ('outbox', $1, $2) "
      "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires "
      "WHERE notify_sender_lease.holder = excluded.holder OR notify_sender_lease.expires < $3",
      {holder_, std::to_string(now + seconds_), std::to_string(now)});
  return changed == 1;
}

void SenderLease::release() {
  db_.exec("DELETE FROM notify_sender_lease WHERE name = 'outbox' AND holder = $1", {holder_});
}

std::string SenderLease::default_holder() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::random_device rd;
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + std::to_string(rd());
}

}  // namespace kci::notify
