// SPDX-License-Identifier: LGPL-2.1-or-later
// The durable outbox: mails are rendered and stored in the store's
// database (SQLite or PostgreSQL, through store/sql.h) before anything is
// sent, then delivered with retries and backoff.
//
// - Each (subscription, subject object, report kind, content) is queued
//   once: its key is unique, queuing it again does nothing.
// - A later report on the same (subscription, subject object, kind) with
//   other content is queued as an update, threaded (In-Reply-To,
//   References) to the first mail.
// - The stored bytes are what is sent, so a re-delivery (after a failure
//   or a kill -9 between the SMTP transaction and the "sent" mark) has the
//   same Message-ID: at least once, never two ids for one mail.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "notify/mail.h"
#include "notify/transport.h"
#include "store/sql.h"

namespace kci::notify {

struct OutboxEntry {
  std::int64_t id = 0;
  std::string message_id, subscription, subject_object, kind, state;
  int attempts = 0;
  std::string last_error;
};

struct QueueResult {
  bool queued = false;  // false: this content was queued before
  std::string message_id;
  bool update = false;  // threaded to an earlier mail of the same subject
};

struct DeliveryStats {
  int sent = 0, retried = 0, failed = 0;
  // The error of the last mail that was not delivered (empty when all went).
  std::string last_error;
  // With retried: the earliest time (Unix seconds) one of them is due again.
  std::int64_t next_retry = 0;
};

struct RetryPolicy {
  int max_attempts = 8;
  long first_delay_s = 60;  // doubled after each failure
  long max_delay_s = 3600;
};

class Outbox {
 public:
  // Applies the outbox's migrations (component "notify").
  explicit Outbox(store::SqlConnection& db);

  // Renders the mail for report and context and stores it, unless this
  // content was stored before. context.in_reply_to (a patch's Message-ID)
  // threads the first mail; later ones thread to that first mail.
  QueueResult queue(const RenderedReport& report, MailContext context);
  // Whether this content was queued for this subscription before (queue
  // would do nothing).
  bool contains(const RenderedReport& report, const std::string& subscription);

  // Sends the queued mails that are due (oldest first, at most limit),
  // marking each sent, or scheduling a retry with backoff, or failed after
  // max_attempts / a permanent error.
  DeliveryStats deliver(Transport& transport, std::int64_t now, const RetryPolicy& policy = {},
                        int limit = 1000);

  // Makes every queued mail due at `now` (the operator fixed the server and
  // does not want to wait for the backoff); returns how many were waiting.
  // The stored bytes are what goes out: nothing is rendered again.
  int retry_now(std::int64_t now);

  // The stored text of the queued mails that are due (--dry-run prints
  // them without marking anything).
  std::vector<std::string> due_messages(std::int64_t now, int limit = 1000);

  std::vector<OutboxEntry> entries();
  int count(const std::string& state);

 private:
  store::SqlConnection& db_;
};

}  // namespace kci::notify
