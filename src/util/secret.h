// SPDX-License-Identifier: LGPL-2.1-or-later
// Comparing secrets (token hashes, callback secrets) without leaking where
// they differ through the time taken.
#pragma once

#include <string_view>

namespace kci {

// Whether a and b are equal. The time depends on the lengths only, never
// on the contents: every byte is looked at, no early exit on a mismatch.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace kci
