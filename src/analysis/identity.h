// SPDX-License-Identifier: LGPL-2.1-or-later
// The identity of a result: which earlier results a build or test is
// compared with. Two results share an identity when they come from the same
// origin, the same tree (tree_name, repository URL and branch of their
// checkout), the same build configuration (architecture, config_name,
// compiler) and, for tests, the same path and platform. A test without a
// path (legacy reports) is named by "comment:" and its comment. Results of other
// origins are never merged into an identity.
#pragma once

#include <string>
#include <string_view>

#include "report/model.h"

namespace kci::analysis {

// What a result is: a build, or a test (boots are tests whose path is "boot"
// or starts with "boot.", counted apart in summaries).
enum class Kind { kBuild, kTest };
const char* kind_name(Kind kind);        // "build", "test"
Kind parse_kind(std::string_view name);  // throws UsageError

struct Identity {
  Kind kind = Kind::kTest;
  std::string origin, tree_name, git_repository_url, git_repository_branch;
  std::string architecture, config_name, compiler;
  std::string path, platform;  // empty for builds

  // A stable key (hex, 32 characters) of every field above.
  std::string key() const;
  auto operator<=>(const Identity&) const = default;
};

Identity build_identity(const report::Checkout& checkout, const report::Build& build);
Identity test_identity(const report::Checkout& checkout, const report::Build& build,
                       const report::Test& test);

// The platform of a test: environment.compatible[0], else misc.platform (or
// legacy KernelCI's misc.board), else environment.misc.platform, else "".
std::string platform_of(const report::Test& test);
// The lab (runtime) of a test: misc.runtime, misc.lab, misc.lab_name, else "".
std::string lab_of(const report::Test& test);
// True for boot tests ("boot", "boot.*").
bool is_boot_path(std::string_view path);

}  // namespace kci::analysis
