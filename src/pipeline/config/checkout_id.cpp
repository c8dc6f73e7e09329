// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/config/checkout_id.h"

namespace kci::pipeline {

std::string branch_checkout_id(const std::string& origin, const std::string& tree,
                               const std::string& branch, const std::string& commit) {
  return origin + ":" + tree + ":" + branch + ":" + commit;
}

}  // namespace kci::pipeline
