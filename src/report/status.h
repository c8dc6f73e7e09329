// SPDX-License-Identifier: LGPL-2.1-or-later
// The one status type of KCIDB results (builds and tests), with KCIDB's
// priority order: FAIL > ERROR > MISS > PASS > DONE > SKIP. When results
// are combined (a test and its subtests, the builds of a checkout, a
// bisection step), the one with the highest priority wins: worst().
#pragma once

#include <optional>
#include <string_view>

namespace kci::report {

// Declared in priority order, highest first.
enum class Status { kFail, kError, kMiss, kPass, kDone, kSkip };

inline constexpr Status kStatuses[] = {Status::kFail, Status::kError, Status::kMiss,
                                       Status::kPass, Status::kDone,  Status::kSkip};

// "FAIL", "ERROR", "MISS", "PASS", "DONE", "SKIP".
std::string_view status_name(Status status);

// The status of its KCIDB name (exactly, upper case); nullopt otherwise.
std::optional<Status> parse_status(std::string_view name);

// KCIDB's priority: FAIL 5, ERROR 4, MISS 3, PASS 2, DONE 1, SKIP 0.
constexpr int priority(Status status) { return 5 - static_cast<int>(status); }

// The status with the higher priority.
constexpr Status worst(Status a, Status b) { return priority(a) >= priority(b) ? a : b; }

}  // namespace kci::report
