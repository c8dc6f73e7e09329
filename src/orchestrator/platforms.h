// SPDX-License-Identifier: LGPL-2.1-or-later
// What the scheduler needs to know of kci's runtimes (test plans, QEMU
// platforms), behind plain strings, so the scheduler does not depend on the
// runtime headers.
#pragma once

#include <string>

namespace kci::orchestrator {

// The test plan a job runs: its name when it is a known plan, else the
// longest known plan its name starts with ("baseline-x86" -> baseline),
// else baseline.
std::string plan_of_job(const std::string& job);

// The kernel architecture (x86_64, arm64, riscv64) a QEMU platform boots,
// "" for a platform kci does not know.
std::string platform_arch(const std::string& platform);

// Whether two architecture names are the same (x86_64 = x86, riscv =
// riscv64, arm64 = aarch64).
bool same_arch(const std::string& a, const std::string& b);

}  // namespace kci::orchestrator
