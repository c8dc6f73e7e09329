// SPDX-License-Identifier: LGPL-2.1-or-later
// The reply to a series' thread, in the plain style of kernel mailing
// lists: whether the series applied, its build and test counts, and what
// regressed (and was fixed) against the base commit's own results (the
// analysis' compare of the two checkouts). Rendered with the notify
// template patchset_reply, queued once per series in the notify outbox
// (In-Reply-To and References: the series' message_id; To: the thread's
// contacts) and sent by `kci notify send`.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "inbox/state.h"
#include "notify/mail.h"
#include "notify/outbox.h"
#include "notify/render.h"
#include "store/sql.h"

namespace kci::inbox {

struct ReplyChange {
  std::string what;    // "build x86_64 defconfig (gcc-12)", "test baseline.login on qemu"
  std::string before;  // status in the base checkout ("none" when absent)
  std::string after;
};

struct PatchsetReply {
  std::string list, series_id, subject, message_id, checkout_id;
  std::vector<std::string> contacts;
  std::string revision = "1";
  int patch_count = 0;
  std::string tree, branch, base_commit, base_describe;
  bool applied = true;
  std::string am_error;
  std::string trailers;  // misc.trailers of the checkout (one per line)
  // "builds" / "tests" -> status -> count.
  std::map<std::string, std::map<std::string, long long>> counts;
  std::string base_checkout_id;  // "" when the base has no results: nothing compared
  std::vector<ReplyChange> regressions, new_failures, fixed;
};

// The reply's data for a handled series, from the store (its checkout,
// the base checkout's and the analysis' comparison of their builds and
// tests). Throws InvalidInputError when the checkout is not in the store.
PatchsetReply reply_data(store::SqlConnection& sql, const SeriesRecord& series);

// "Re: <subject>" and the plain-text body.
notify::RenderedReport render_reply(const PatchsetReply& reply);

struct ReplyOptions {
  notify::Address from;
  std::string domain = "kci.invalid";
  long long date = 0;  // Unix seconds; 0 = now
  // Only series whose checkout has results (or did not apply): a reply
  // waits for kci run to have built and tested the series.
  bool require_results = true;
  std::string list;  // only this list ("" = all)
  // Trial runs: every reply goes to this address only.
  std::optional<notify::Address> to_override;
  // When set, a series is answered only once ready(series) says so (kci
  // run: its builds, boots and analysis are done); the others wait.
  std::function<bool(const SeriesRecord&)> ready;
};

struct ReplyResult {
  int queued = 0;
  int waiting = 0;  // applied, no results yet
};

// Queues a reply for every handled series that applied or was refused and
// has none yet, and marks it replied (a series is answered once).
ReplyResult queue_replies(store::SqlConnection& sql, InboxState& state, notify::Outbox& outbox,
                          const ReplyOptions& options);

}  // namespace kci::inbox
