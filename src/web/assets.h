// SPDX-License-Identifier: LGPL-2.1-or-later
// The dashboard's templates and static files, embedded in the binary at
// build time (src/web/embed.cmake).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace kci::web {

struct Asset {
  std::string_view name;  // "templates/trees.mustache", "static/dashboard.js"
  std::string_view content;
};

const std::vector<Asset>& assets();

// The asset of that name, or nullopt.
std::optional<std::string_view> find_asset(std::string_view name);

}  // namespace kci::web
