// SPDX-License-Identifier: LGPL-2.1-or-later
#include "web/assets.h"

namespace kci::web {

std::optional<std::string_view> find_asset(std::string_view name) {
  for (const Asset& a : assets()) {
    if (a.name == name) return a.content;
  }
  return std::nullopt;
}

}  // namespace kci::web
