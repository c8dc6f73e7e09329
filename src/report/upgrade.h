// SPDX-License-Identifier: LGPL-2.1-or-later
// Upgrading valid reports to newer schema versions by KCIDB's inheritance
// rules (kcidb-io's _inherit of each major).
#pragma once

#include "report/json.h"
#include "report/version.h"
#include "util/error.h"

namespace kci::report {

// The data cannot be expressed in the target version (kcidb-io's
// InheritanceImpossible): e.g. a non-https git_repository_url going to v5.
// The message names the JSON pointer of the value that prevents it.
class UpgradeError : public InvalidInputError {
 public:
  using InvalidInputError::InvalidInputError;
};

// Upgrades `report` (already valid for its declared version) in place to
// `target` (default: the latest version), using doc's allocator. Minor
// bumps only relabel "version"; each newer major applies its inheritance
// rules. On UpgradeError the report is left unspecified: callers print
// nothing for it. Upgrading to an older version is a VersionError.
void upgrade_report(json::Document& report, Version target = latest_version());

}  // namespace kci::report
