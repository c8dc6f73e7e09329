// SPDX-License-Identifier: LGPL-2.1-or-later
// Who a bisection report goes to: the culprit's author and the people in
// its trailers (Signed-off-by, Reviewed-by, Acked-by, Tested-by,
// Reported-by, Co-developed-by, Suggested-by), as KernelCI did.
#pragma once

#include <vector>

#include "notify/header.h"
#include "notify/reports.h"

namespace kci::notify {

// The author first, then trailer addresses in order, each address once
// (compared case-insensitively). Text that is not a plain address is
// dropped, never passed on.
std::vector<Address> bisection_recipients(const BisectionResult& result);

}  // namespace kci::notify
