// SPDX-License-Identifier: LGPL-2.1-or-later
// What kci inbox keeps in the store's database (component "inbox", through
// the one SQL facility, both drivers), per list:
//   inbox_cursors  the last commit read in each epoch of the archive;
//   inbox_polls    when the list was last polled;
//   inbox_pending  messages of series still waiting for a part (and
//                  replies carrying trailers), by epoch and blob id;
//   inbox_series   every series handled once (checkout made, refused,
//                  incomplete, superseded, no target), and whether its
//                  thread was answered: a series is never reported twice.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "inbox/archive.h"
#include "store/sql.h"

namespace kci::inbox {

struct PendingMessage {
  std::string message_id;
  int epoch = 0;
  std::string blob;
};

struct SeriesRecord {
  std::string list;
  std::string series_id;
  std::string status;  // "tested", "does not apply", "incomplete", "superseded", "no target"
  std::string checkout_id;
  std::string message_id;
  std::string patchset_hash;
  std::string contacts;  // comma-separated
  std::string subject;
  std::string created;  // RFC 3339
  bool replied = false;
};

class InboxState {
 public:
  explicit InboxState(store::SqlConnection& sql);
  static void migrate(store::SqlConnection& sql);

  Cursor cursor(const std::string& list);
  std::optional<std::int64_t> last_poll(const std::string& list);
  std::vector<PendingMessage> pending(const std::string& list);
  std::optional<SeriesRecord> series(const std::string& list, const std::string& series_id);
  std::vector<SeriesRecord> all_series(const std::string& list = {});

  // One transaction: the new cursor, the pending messages (replacing the
  // list's), the series handled in this poll and the poll time.
  void save_poll(const std::string& list, const Cursor& cursor,
                 const std::vector<PendingMessage>& pending,
                 const std::vector<SeriesRecord>& handled, std::int64_t poll_time);
  void mark_replied(const std::string& list, const std::string& series_id);

  store::SqlConnection& sql() { return sql_; }

 private:
  store::SqlConnection& sql_;
};

}  // namespace kci::inbox
