// SPDX-License-Identifier: LGPL-2.1-or-later
// The KCIDB v5.3 report of one kernel build: the checkout it was built from
// and the build itself, with artifact URLs under the store's base URL.
#pragma once

#include <string>

#include "pipeline/build/kbuild.h"
#include "report/model.h"

namespace kci::pipeline {

// "<origin>:checkout-<hash>": the same tree, branch, URL and commit give the
// same ID, so builds of one checkout from separate runs join in KCIDB.
std::string kbuild_checkout_id(const std::string& origin, const BuildResult& result,
                               const std::string& source_dir);

// "<origin>:kbuild-<hash>": unique per build attempt (the start time is in it).
std::string kbuild_build_id(const std::string& origin, const std::string& checkout_id,
                            const BuildResult& result);

// The report of the build: one checkout and one build, typed (report::to_json
// writes it as KCIDB v5.3).
report::Report kbuild_report(const BuildResult& result, const std::string& origin,
                             const std::string& source_dir);

}  // namespace kci::pipeline
