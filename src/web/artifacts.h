// SPDX-License-Identifier: LGPL-2.1-or-later
// Files of local runs (logs, HTML logs, kernels) served from one folder,
// with no way out of it: ".." and "." segments, empty segments, encoded
// slashes or backslashes and NUL bytes are refused, and every component is
// opened with O_NOFOLLOW relative to the previous one, so a symbolic link
// anywhere below the root is refused too (and nothing can be swapped in
// between a check and the open).
#pragma once

#include <filesystem>
#include <string>

#include "web/dashboard.h"

namespace kci::web {

// Answers GET /artifacts/REL. raw_target is the request's path as sent
// (percent-encoded), rel the decoded part after "/artifacts/".
WebResponse serve_artifact(const std::filesystem::path& root, const std::string& raw_target,
                           const std::string& rel);

}  // namespace kci::web
