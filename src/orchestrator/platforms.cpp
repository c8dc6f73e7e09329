// SPDX-License-Identifier: LGPL-2.1-or-later
#include "orchestrator/platforms.h"

#include "pipeline/runtime/qemu.h"
#include "pipeline/runtime/testplan.h"

namespace kci::orchestrator {

std::string plan_of_job(const std::string& job) {
  if (pipeline::is_known_plan(job)) return job;
  std::string best;
  for (const std::string& p : pipeline::known_plans()) {
    if (job.rfind(p, 0) == 0 && p.size() > best.size()) best = p;
  }
  return best.empty() ? "baseline" : best;
}

std::string platform_arch(const std::string& platform) {
  const pipeline::QemuPlatform* p = pipeline::find_qemu_platform(platform);
  return p ? p->arch : std::string();
}

bool same_arch(const std::string& a, const std::string& b) {
  auto norm = [](const std::string& s) {
    if (s == "riscv64") return std::string("riscv");
    if (s == "aarch64") return std::string("arm64");
    if (s == "x86" || s == "amd64") return std::string("x86_64");
    return s;
  };
  return norm(a) == norm(b);
}

}  // namespace kci::orchestrator
