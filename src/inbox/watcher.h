// SPDX-License-Identifier: LGPL-2.1-or-later
// Watching the mailing lists of the pipeline configuration ("lists:"): one
// poll of a list reads the archive's new commits only (from the cursor kept
// in the database), keeps what may belong to a series, assembles the
// series and hands out each complete one once, as a checkout (or as
// refused: valid false), together with the series that waited too long
// for a missing part, were superseded by a newer revision, or match no
// target. Everything is saved in one transaction after the series were
// handed out, so a restarted watcher never reports a series twice.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "inbox/archive.h"
#include "inbox/series.h"
#include "inbox/state.h"
#include "pipeline/config/config.h"
#include "pipeline/source/monitor.h"

namespace kci::inbox {

struct PollOptions {
  std::string origin = "kci";
  std::string state_dir = "kci-inbox";  // series mboxes go to STATE/series/<list>/
  bool force = false;                   // poll even when the list's frequency says not yet
  // The time between two polls of a list without a frequency (kci run
  // --forever: its --watch); unset: such a list is polled every time.
  std::optional<std::chrono::seconds> default_frequency;
  std::int64_t now = 0;  // Unix seconds; 0 = the clock
  std::function<void(const std::string&)> progress;
};

struct HandledSeries {
  SeriesRecord record;
  Series series;
  std::optional<report::Checkout> checkout;  // status "tested" or "does not apply"
};

struct PollResult {
  bool polled = false;  // false: not due yet
  ReadStats read;
  std::vector<HandledSeries> handled;
  std::size_t waiting = 0;  // series still waiting for parts
};

// Polls one list. on_series is called for each series handled, before the
// state is saved (a checkout is submitted there: if it throws, nothing is
// saved and the next poll does it again). Throws Error for git or database
// failures, InvalidInputError for a bad archive.
PollResult poll_list(const pipeline::MailingList& list, const pipeline::PipelineConfig& config,
                     InboxState& state, const PollOptions& options,
                     const std::function<void(const HandledSeries&)>& on_series);

// Every series of a whole archive, no state (kci inbox scan): messages that
// may belong to a series are kept, the rest only counted.
struct ScanResult {
  ReadStats read;
  Assembly assembly;
};
ScanResult scan_archive(const std::string& path);

}  // namespace kci::inbox
