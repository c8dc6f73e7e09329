// SPDX-License-Identifier: LGPL-2.1-or-later
#include "notify/sender_lease.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
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

std::string this_host() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

}  // namespace

// A sender killed with -9 never releases its lease; its successor on the
// same machine need not wait for the lease to expire.
bool SenderLease::holder_is_dead_here(const std::string& holder) {
  std::size_t colon = holder.find(':');
  if (colon == std::string::npos || holder.compare(0, colon, this_host()) != 0) return false;
  std::size_t end = holder.find(':', colon + 1);
  std::string pid_text =
      holder.substr(colon + 1, end == std::string::npos ? std::string::npos : end - colon - 1);
  if (pid_text.empty() || pid_text.size() > 9 ||
      pid_text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  long pid = std::stol(pid_text);
  if (pid <= 0 || pid == getpid()) return false;
  return kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

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
  if (changed == 1) return true;
  // Held by another holder: take it over only from one that is dead on this
  // host, comparing the holder so that two successors cannot both win.
  std::string current;
  db_.exec("SELECT holder FROM notify_sender_lease WHERE name = 'outbox'", {},
           [&](const store::SqlRow& row) { current = std::string(row.text(0)); });
  if (current.empty() || !holder_is_dead_here(current)) return false;
  changed = db_.exec(
      "UPDATE notify_sender_lease SET holder = $1, expires = $2 "
      "WHERE name = 'outbox' AND holder = $3",
      {holder_, std::to_string(now + seconds_), current});
  return changed == 1;
}

void SenderLease::release() {
  db_.exec("DELETE FROM notify_sender_lease WHERE name = 'outbox' AND holder = $1", {holder_});
}

std::string SenderLease::default_holder() {
  std::random_device rd;
  return this_host() + ":" + std::to_string(getpid()) + ":" + std::to_string(rd());
}

}  // namespace kci::notify
