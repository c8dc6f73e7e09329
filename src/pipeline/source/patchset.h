// SPDX-License-Identifier: LGPL-2.1-or-later
// kci checkout: a patch series applied on a base commit, reported as a
// KCIDB checkout with patchset_files, patchset_hash and message_id.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pipeline/source/monitor.h"

namespace kci::pipeline {

// One message of an mbox, byte for byte as it was in the file.
struct MboxMessage {
  std::string text;
  std::string message_id;  // without the angle brackets; "" if none
  bool is_patch = false;   // has a diff (a cover letter has none)
};

// Splits an mbox (one or more messages, as git format-patch writes them
// and "cat *.patch" concatenates them) at its "From " separator lines.
std::vector<MboxMessage> split_mbox(const std::string& text);

// KCIDB's patchset_hash: the SHA-256 over the concatenated, newline-
// terminated, lower-case hex SHA-256 of each patch, in order ("" for none):
// what `sha256sum *.patch | cut -c-64 | sha256sum | cut -c-64` prints.
std::string patchset_hash(const std::vector<std::string>& patches);

struct PatchsetOptions {
  std::vector<std::string> mbox_files;  // in order; each holds one or more messages
  std::string repo = ".";               // the git repository holding base
  std::string base;                     // revision to apply on
  std::string origin = "kci";
  std::string tree_name;
  std::string branch;          // git_repository_branch, if known
  std::string repository_url;  // default: the repo's "origin" remote, else file://
  // Where the patches are published: url = patch_base_url + "/" + name.
  std::string patch_base_url;
  // Write each patch here as NNNN-<name>.patch and point the URLs at them
  // (when patch_base_url is empty).
  std::string patch_dir;
};

// Applies the series with git am in a temporary detached worktree of repo
// (never touching the user's branches or working tree; the worktree is
// removed afterwards) and returns the checkout: valid true if every patch
// applied, else valid false with git am's error in log_excerpt. Throws
// InvalidInputError for an unknown base or an mbox without patches,
// Error when git itself cannot run.
report::Checkout apply_patchset(const PatchsetOptions& options);

}  // namespace kci::pipeline
