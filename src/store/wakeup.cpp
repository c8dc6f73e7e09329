// SPDX-License-Identifier: LGPL-2.1-or-later
#include "store/wakeup.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

namespace kci::store {

void announce(SqlConnection& sql, std::string_view channel) {
  if (sql.driver() != Driver::kPostgresql) return;
  sql.exec("SELECT pg_notify($1, '')", {std::string(channel)});
}

struct WakeupListener::Impl {
  DatabaseSpec spec;
  std::vector<std::string> channels;
  PGconn* conn = nullptr;
  int pipe_fds[2] = {-1, -1};  // interrupt(): a byte on [1] wakes poll() on [0]

  void close() {
    if (conn) PQfinish(conn);
    conn = nullptr;
  }

  void connect() {
    conn = PQconnectdb(spec.params.c_str());
    if (PQstatus(conn) != CONNECTION_OK) {
      std::string why = PQerrorMessage(conn);
      while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
      close();
      throw StoreError("cannot connect to PostgreSQL to listen for changes: " + why);
    }
    // A server that ends the session says so in a notice: the next wait()
    // handles the loss, nothing to print.
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);
    for (const std::string& channel : channels) {
      // LISTEN takes an identifier, not a parameter: quoted here (the
      // channel names are kci's own constants).
      char* quoted = PQescapeIdentifier(conn, channel.c_str(), channel.size());
      std::string sql = std::string("LISTEN ") + (quoted ? quoted : "\"\"");
      PQfreemem(quoted);
      PGresult* r = PQexec(conn, sql.c_str());
      bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
      std::string why = ok ? "" : PQresultErrorMessage(r);
      PQclear(r);
      if (!ok) {
        close();
        throw StoreError("cannot LISTEN " + channel + ": " + why);
      }
    }
  }

  // Consumes every pending notification; true if there was one.
  bool drain() {
    bool any = false;
    while (PGnotify* n = PQnotifies(conn)) {
      any = true;
      PQfreemem(n);
    }
    return any;
  }

  void clear_pipe() {
    char buf[64];
    while (read(pipe_fds[0], buf, sizeof buf) > 0) {
    }
  }
};

WakeupListener::WakeupListener(const DatabaseSpec& spec, const std::vector<std::string>& channels)
    : impl_(std::make_unique<Impl>()) {
  impl_->spec = spec;
  impl_->channels = channels;
  if (pipe2(impl_->pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw StoreError("cannot create the wake-up pipe");
  }
  if (spec.driver == Driver::kPostgresql) {
    try {
      impl_->connect();
    } catch (const StoreError&) {
      // Not reachable now: wait() tries again, the callers' poll goes on.
    }
  }
}

WakeupListener::~WakeupListener() {
  impl_->close();
  ::close(impl_->pipe_fds[0]);
  ::close(impl_->pipe_fds[1]);
}

bool WakeupListener::listening() const { return impl_->spec.driver == Driver::kPostgresql; }

void WakeupListener::interrupt() {
  char c = 1;
  [[maybe_unused]] ssize_t n = write(impl_->pipe_fds[1], &c, 1);
}

bool WakeupListener::wait(std::chrono::milliseconds timeout) {
  Impl& m = *impl_;
  int timeout_ms = static_cast<int>(std::max<std::int64_t>(0, timeout.count()));
  if (listening() && !m.conn) {
    try {
      m.connect();
      // Listening again after a loss (or after a failed first connect):
      // announcements made while away were dropped by the server, so this
      // counts as one; the caller looks at its tables now.
      return true;
    } catch (const StoreError&) {
      // The database is away: sleep (interruptibly) and let the poll work.
    }
  }
  pollfd fds[2] = {{m.pipe_fds[0], POLLIN, 0}, {-1, POLLIN, 0}};
  int count = 1;
  if (m.conn) {
    // Announcements read with an earlier result are waiting already.
    if (!PQconsumeInput(m.conn) || PQstatus(m.conn) != CONNECTION_OK) {
      m.close();  // reopened on the next call
      return false;
    }
    if (m.drain()) return true;
    fds[1].fd = PQsocket(m.conn);
    count = 2;
  }
  int ready = poll(fds, static_cast<nfds_t>(count), timeout_ms);
  if (ready < 0) {
    if (errno == EINTR) return false;
    throw StoreError("waiting for database announcements failed");
  }
  if (fds[0].revents) {
    m.clear_pipe();
    return false;
  }
  if (count == 2 && fds[1].revents) {
    if (!PQconsumeInput(m.conn) || PQstatus(m.conn) != CONNECTION_OK) {
      m.close();  // reopened on the next call
      return false;
    }
    return m.drain();
  }
  return false;
}

}  // namespace kci::store
