// SPDX-License-Identifier: LGPL-2.1-or-later
#include "inbox/watcher.h"

#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "inbox/checkout.h"
#include "util/time.h"

namespace kci::inbox {

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

std::string safe_name(const std::string& name) {
  std::string out;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    out += ok ? c : '_';
  }
  return out.empty() || out[0] == '.' ? "_" + out : out;
}

SeriesRecord record_of(const std::string& list, const Series& s, const std::string& status,
                       std::int64_t now) {
  SeriesRecord r;
  r.list = list;
  r.series_id = s.id;
  r.status = status;
  r.message_id = s.message_id();
  r.contacts = join(s.contacts);
  r.subject = s.messages.empty() ? s.title : s.messages.front().subject;
  r.created = format_rfc3339(SystemTime(std::chrono::seconds(now)));
  return r;
}

}  // namespace

PollResult poll_list(const pipeline::MailingList& list, const pipeline::PipelineConfig& config,
                     InboxState& state, const PollOptions& options,
                     const std::function<void(const HandledSeries&)>& on_series) {
  PollResult result;
  std::int64_t now = options.now != 0 ? options.now
                                      : std::chrono::duration_cast<std::chrono::seconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count();
  std::optional<std::chrono::seconds> frequency =
      list.frequency ? list.frequency : options.default_frequency;
  if (!options.force && frequency) {
    std::optional<std::int64_t> last = state.last_poll(list.name);
    if (last && now - *last < frequency->count()) return result;
  }
  result.polled = true;
  auto progress = [&](const std::string& line) {
    if (options.progress) options.progress(list.name + ": " + line);
  };

  Archive archive = Archive::open(list.archive);
  // The messages kept from earlier polls, then the new ones.
  std::vector<Message> messages;
  std::map<int, std::vector<std::string>> kept_blobs;
  std::set<std::string> kept_ids;
  for (const PendingMessage& p : state.pending(list.name)) {
    kept_blobs[p.epoch].push_back(p.blob);
    kept_ids.insert(p.message_id);
  }
  for (const auto& [epoch, blobs] : kept_blobs) {
    for (Message& m : archive.read_blobs(epoch, blobs)) {
      if (!m.message_id.empty()) messages.push_back(std::move(m));
    }
  }
  Cursor cursor = state.cursor(list.name);
  result.read = archive.read_new(cursor, [&](Message&& m) {
    if (m.message_id.empty() || kept_ids.count(m.message_id)) return;
    if (worth_keeping(m)) messages.push_back(std::move(m));
  });
  if (result.read.messages > 0) {
    progress(std::to_string(result.read.messages) + " new messages");
  }

  Assembly assembly = assemble(messages);
  std::set<std::string> keep;  // message ids to keep pending
  std::string series_dir =
      (std::filesystem::path(options.state_dir) / "series" / safe_name(list.name)).string();
  std::vector<SeriesRecord> records;
  auto handle = [&](HandledSeries&& h) {
    progress(h.record.status + ": " + h.record.subject);
    on_series(h);
    records.push_back(h.record);
    result.handled.push_back(std::move(h));
  };
  for (Series& s : assembly.superseded) {
    if (state.series(list.name, s.id)) continue;
    handle({record_of(list.name, s, "superseded", now), std::move(s), std::nullopt});
  }
  for (Series& s : assembly.series) {
    if (state.series(list.name, s.id)) continue;  // handled by an earlier poll
    if (!s.complete()) {
      std::int64_t since = s.first_date != 0 ? s.first_date : now;
      if (now - since < list.timeout.count()) {
        ++result.waiting;
        for (const Message& m : s.messages) keep.insert(m.message_id);
        continue;
      }
      handle({record_of(list.name, s, "incomplete", now), std::move(s), std::nullopt});
      continue;
    }
    const pipeline::ListTarget* target = match_target(s, list, config);
    if (!target) {
      handle({record_of(list.name, s, "no target", now), std::move(s), std::nullopt});
      continue;
    }
    SeriesCheckoutOptions co;
    co.origin = options.origin;
    co.list = list.name;
    co.series_dir = series_dir;
    report::Checkout checkout = series_checkout(s, *target, config, co);
    bool valid = checkout.valid.value_or(false);
    SeriesRecord record = record_of(list.name, s, valid ? "tested" : "does not apply", now);
    record.checkout_id = checkout.id.value_or("");
    record.patchset_hash = checkout.patchset_hash.value_or("");
    handle({std::move(record), std::move(s), std::move(checkout)});
  }
  // Replies with trailers wait with their series (for as long as it may).
  for (const std::string& id : assembly.trailer_replies) keep.insert(id);

  std::vector<PendingMessage> pending;
  for (const Message& m : messages) {
    if (!keep.count(m.message_id)) continue;
    pending.push_back({m.message_id, m.epoch, m.blob});
  }
  state.save_poll(list.name, cursor, pending, records, now);
  return result;
}

ScanResult scan_archive(const std::string& path) {
  ScanResult result;
  Archive archive = Archive::open(path);
  Cursor cursor;
  std::vector<Message> messages;
  result.read = archive.read_new(cursor, [&](Message&& m) {
    if (worth_keeping(m)) messages.push_back(std::move(m));
  });
  result.assembly = assemble(messages);
  return result;
}

}  // namespace kci::inbox
