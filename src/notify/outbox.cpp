// SPDX-License-Identifier: LGPL-2.1-or-later
#include "notify/outbox.h"

#include <algorithm>

#include "store/store.h"
#include "util/sha256.h"

namespace kci::notify {
namespace {

std::vector<store::Migration> migrations() {
  const char* common = R"(
CREATE TABLE notify_threads (
  thread_key TEXT PRIMARY KEY,
  root_message_id TEXT NOT NULL,
  references_ids TEXT NOT NULL
);
CREATE INDEX notify_outbox_due ON notify_outbox (state, next_attempt, id)
)";
  // The two drivers differ only in how the id is generated.
  auto outbox = [&](const char* id_column) {
    return std::string("\nCREATE TABLE notify_outbox (\n  id ") + id_column + R"(,
  dedup_key TEXT NOT NULL UNIQUE,
  thread_key TEXT NOT NULL,
  message_id TEXT NOT NULL,
  subscription TEXT NOT NULL,
  subject_object TEXT NOT NULL,
  kind TEXT NOT NULL,
  envelope_from TEXT NOT NULL,
  envelope_to TEXT NOT NULL,
  message TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt BIGINT NOT NULL,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  sent_at BIGINT
);)" + common;
  };
  std::string sqlite = outbox("INTEGER PRIMARY KEY AUTOINCREMENT");
  std::string pg = outbox("BIGSERIAL PRIMARY KEY");
  return {{1, "notify: outbox and threads", sqlite, pg}};
}

std::string key_of(std::initializer_list<std::string_view> parts) {
  std::string key;
  for (auto p : parts) {
    key += std::to_string(p.size());
    key += ':';
    key.append(p);
  }
  return sha256_hex(key);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = s.find(sep, i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

Outbox::Outbox(store::SqlConnection& db) : db_(db) { db_.apply_migrations("notify", migrations()); }

bool Outbox::contains(const RenderedReport& report, const std::string& subscription) {
  std::string dedup = key_of(
      {subscription, report.subject_object, report_kind_name(report.kind), content_hash(report)});
  bool exists = false;
  db_.exec("SELECT 1 FROM notify_outbox WHERE dedup_key = $1", {dedup},
           [&](const store::SqlRow&) { exists = true; });
  return exists;
}

QueueResult Outbox::queue(const RenderedReport& report, MailContext c) {
  const char* kind = report_kind_name(report.kind);
  std::string hash = content_hash(report);
  std::string dedup = key_of({c.subscription, report.subject_object, kind, hash});
  std::string thread = key_of({c.subscription, report.subject_object, kind});
  return db_.transaction([&] {
    QueueResult r;
    bool exists = false;
    db_.exec("SELECT message_id FROM notify_outbox WHERE dedup_key = $1", {dedup},
             [&](const store::SqlRow& row) {
               exists = true;
               r.message_id = std::string(row.text(0));
             });
    if (exists) return r;
    std::optional<std::string> root, refs;
    db_.exec("SELECT root_message_id, references_ids FROM notify_threads WHERE thread_key = $1",
             {thread}, [&](const store::SqlRow& row) {
               root = std::string(row.text(0));
               refs = std::string(row.text(1));
             });
    if (root) {
      // An update: reply to the first mail, keep the whole thread.
      r.update = true;
      c.in_reply_to = *root;
      c.references = split(*refs, ' ');
    }
    Message m = compose_mail(report, c);
    std::string text = render_message(m);
    r.message_id = m.message_id;
    std::string to;
    for (const auto* list : {&m.to, &m.cc}) {
      for (const auto& a : *list) to += (to.empty() ? "" : "\n") + a.email;
    }
    db_.exec(
        "INSERT INTO notify_outbox (dedup_key, thread_key, message_id, subscription, "
        "subject_object, kind, envelope_from, envelope_to, message, state, attempts, "
        "next_attempt, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'queued', 0, $10, "
        "$10)",
        {dedup, thread, m.message_id, c.subscription, report.subject_object, kind, m.from.email, to,
         text, std::to_string(c.date)});
    std::string new_refs;
    for (const auto& id : m.references) new_refs += (new_refs.empty() ? "" : " ") + id;
    new_refs += (new_refs.empty() ? "" : " ") + m.message_id;
    if (root) {
      db_.exec("UPDATE notify_threads SET references_ids = $2 WHERE thread_key = $1",
               {thread, new_refs});
    } else {
      db_.exec(
          "INSERT INTO notify_threads (thread_key, root_message_id, references_ids) "
          "VALUES ($1, $2, $3)",
          {thread, m.message_id, new_refs});
    }
    r.queued = true;
    return r;
  });
}

DeliveryStats Outbox::deliver(Transport& transport, std::int64_t now, const RetryPolicy& policy,
                              int limit) {
  struct Due {
    std::int64_t id;
    int attempts;
    Envelope envelope;
    std::string message;
  };
  std::vector<Due> due;
  db_.exec(
      "SELECT id, attempts, envelope_from, envelope_to, message FROM notify_outbox "
      "WHERE state = 'queued' AND next_attempt <= $1 ORDER BY id LIMIT $2",
      {std::to_string(now), std::to_string(limit)}, [&](const store::SqlRow& row) {
        Due d;
        d.id = row.integer(0);
        d.attempts = static_cast<int>(row.integer(1));
        d.envelope.from = std::string(row.text(2));
        d.envelope.to = split(std::string(row.text(3)), '\n');
        d.message = std::string(row.text(4));
        due.push_back(std::move(d));
      });
  DeliveryStats stats;
  for (auto& d : due) {
    try {
      transport.send(d.envelope, d.message);
      db_.exec("UPDATE notify_outbox SET state = 'sent', sent_at = $2, attempts = $3 WHERE id = $1",
               {std::to_string(d.id), std::to_string(now), std::to_string(d.attempts + 1)});
      ++stats.sent;
    } catch (const DeliveryError& e) {
      int attempts = d.attempts + 1;
      bool give_up = e.permanent() || attempts >= policy.max_attempts;
      long delay = policy.first_delay_s;
      for (int k = 1; k < attempts && delay < policy.max_delay_s; ++k) delay *= 2;
      delay = std::min(delay, policy.max_delay_s);
      db_.exec(
          "UPDATE notify_outbox SET state = $2, attempts = $3, next_attempt = $4, last_error = $5 "
          "WHERE id = $1",
          {std::to_string(d.id), give_up ? "failed" : "queued", std::to_string(attempts),
           std::to_string(now + delay), std::string(e.what())});
      (give_up ? stats.failed : stats.retried) += 1;
      stats.last_error = e.what();
      if (!give_up && (stats.next_retry == 0 || now + delay < stats.next_retry)) {
        stats.next_retry = now + delay;
      }
    }
  }
  return stats;
}

int Outbox::retry_now(std::int64_t now) {
  return static_cast<int>(
      db_.exec("UPDATE notify_outbox SET next_attempt = $1 WHERE state = 'queued' AND "
               "next_attempt > $1",
               {std::to_string(now)}));
}

std::vector<std::string> Outbox::due_messages(std::int64_t now, int limit) {
  std::vector<std::string> out;
  db_.exec(
      "SELECT message FROM notify_outbox WHERE state = 'queued' AND next_attempt <= $1 "
      "ORDER BY id LIMIT $2",
      {std::to_string(now), std::to_string(limit)},
      [&](const store::SqlRow& row) { out.emplace_back(row.text(0)); });
  return out;
}

std::vector<OutboxEntry> Outbox::entries() {
  std::vector<OutboxEntry> out;
  db_.exec(
      "SELECT id, message_id, subscription, subject_object, kind, state, attempts, "
      "COALESCE(last_error, '') FROM notify_outbox ORDER BY id",
      {}, [&](const store::SqlRow& row) {
        OutboxEntry e;
        e.id = row.integer(0);
        e.message_id = std::string(row.text(1));
        e.subscription = std::string(row.text(2));
        e.subject_object = std::string(row.text(3));
        e.kind = std::string(row.text(4));
        e.state = std::string(row.text(5));
        e.attempts = static_cast<int>(row.integer(6));
        e.last_error = std::string(row.text(7));
        out.push_back(std::move(e));
      });
  return out;
}

int Outbox::count(const std::string& state) {
  int n = 0;
  db_.exec("SELECT COUNT(*) FROM notify_outbox WHERE state = $1", {state},
           [&](const store::SqlRow& row) { n = static_cast<int>(row.integer(0)); });
  return n;
}

}  // namespace kci::notify
