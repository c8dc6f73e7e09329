// SPDX-License-Identifier: LGPL-2.1-or-later
// The local runtime of `kci run`: kbuild nodes are built with kci's kbuild
// (pipeline/build/kbuild.h) from the checkout's source directory into the
// artifact store; job nodes boot the build's artifacts with a boot function
// (QEMU in `kci run`: qemu_boot(), pipeline/runtime/qemu.h). Outcomes become
// the same KCIDB objects `kci build` and `kci test` report.
//
// Boots go through a function rather than a pipeline::Runtime& so the tests
// can run the whole loop with an instant boot.
#pragma once

#include <functional>
#include <mutex>
#include <string>

#include "orchestrator/executor.h"
#include "orchestrator/local_runtime.h"
#include "pipeline/runtime/runtime.h"
#include "util/command_runner.h"

namespace kci::orchestrator {

// Runs one test job to its end (as pipeline::Runtime::run does).
using BootFunction = std::function<pipeline::RuntimeRun(const pipeline::RuntimeJob&)>;

// QEMU boots (pipeline::run_qemu_test) through runner.
BootFunction qemu_boot(std::string rootfs_cache, CommandRunner& runner);

class LocalExecutor final : public Executor {
 public:
  // runner (make, git) must outlive the executor.
  LocalExecutor(LocalExecutorOptions options, CommandRunner& runner, BootFunction boot)
      : options_(std::move(options)), runner_(runner), boot_(std::move(boot)) {}
  std::string name() const override { return "local"; }
  Outcome run(const Node& node, const Node& parent) override;

 private:
  Outcome build(const Node& node);
  Outcome boot(const Node& node, const Node& parent);

  LocalExecutorOptions options_;
  CommandRunner& runner_;
  BootFunction boot_;
  std::mutex source_mutex_;  // held by builds that check out or share a build directory
};

}  // namespace kci::orchestrator
