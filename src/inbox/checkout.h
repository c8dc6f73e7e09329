// SPDX-License-Identifier: LGPL-2.1-or-later
// A complete series as a KCIDB checkout: the target tree it may apply to
// (by subject prefix, touched files or base-commit), the base (the series'
// base-commit when the repository has it, else the target branch's head),
// and the series applied with kci checkout's own code
// (pipeline::apply_patchset: git am in a temporary worktree, KCIDB's
// patchset_hash). A series that does not apply gives valid: false with the
// git am error.
#pragma once

#include <optional>
#include <string>

#include "inbox/series.h"
#include "pipeline/config/config.h"
#include "pipeline/source/monitor.h"

namespace kci::inbox {

// The local work tree of a target: its repo, else the tree's URL when it
// is a local path or file:// URL; "" when there is none.
std::string target_repo(const pipeline::ListTarget& target, const pipeline::PipelineConfig& config);

// The first target of the list the series may apply to (see
// pipeline::ListTarget), or nullptr.
const pipeline::ListTarget* match_target(const Series& series, const pipeline::MailingList& list,
                                         const pipeline::PipelineConfig& config);

// The series as one mbox: the cover letter (if any), then the patches, each
// after an mbox "From " line, byte for byte as archived.
std::string series_mbox(const Series& series);

struct SeriesCheckoutOptions {
  std::string origin = "kci";
  std::string list;        // the list's name, for misc
  std::string series_dir;  // where the series' mbox is written (the patchset URL points at it)
};

// Applies the series on its base in the target's repository. Throws
// InvalidInputError when the target has no repository or the base cannot
// be found.
report::Checkout series_checkout(const Series& series, const pipeline::ListTarget& target,
                                 const pipeline::PipelineConfig& config,
                                 const SeriesCheckoutOptions& options);

}  // namespace kci::inbox
