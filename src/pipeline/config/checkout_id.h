// SPDX-License-Identifier: LGPL-2.1-or-later
// The checkout IDs kci gives: shared by the tree monitor (source) and the
// builds (build), which must name the same branch head the same way without
// depending on each other.
#pragma once

#include <string>

namespace kci::pipeline {

// The checkout ID kci gives a branch head: "<origin>:<tree>:<branch>:<sha>",
// so the same commit on two branches gives two checkouts, as in KernelCI.
std::string branch_checkout_id(const std::string& origin, const std::string& tree,
                               const std::string& branch, const std::string& commit);

}  // namespace kci::pipeline
