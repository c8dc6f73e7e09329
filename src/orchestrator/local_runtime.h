// SPDX-License-Identifier: LGPL-2.1-or-later
// The local runtime of `kci run` as the CLI makes it: kbuild with the real
// make and compilers, boots with the real QEMU (local_executor.h has the
// executor with its runner and test runtime handed in, for tests). This
// header includes neither the pipeline configuration nor the runtime seam
// (see platforms.h), so the CLI can include it beside the configuration.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "orchestrator/executor.h"

namespace kci::orchestrator {

struct LocalExecutorOptions {
  std::string artifacts_dir;  // the artifact store's root
  std::optional<std::string> artifact_url;
  std::string build_root;  // build directories: build_root/<node id>
  // build_root/<arch>/<config>/<toolchain> instead, kept across checkouts
  // so that a configuration's next build is incremental; such builds run
  // one at a time.
  bool build_dir_per_config = false;
  // A line on stderr as each build step ends ("kci build: kernel done in
  // 41.2 s"), so that a long build shows it is alive.
  bool progress = false;
  int make_jobs = 0;  // per build; 0: one per CPU
  bool ccache = false;
  std::string origin = "kci";
  std::string rootfs_cache;  // QEMU initramfs cache ("" = kci's default)
  // A named fragment's config lines (the pipeline configuration's
  // fragments), nullopt when there is no such fragment.
  std::function<std::optional<std::vector<std::string>>(const std::string&)> fragments;
};

// The executor of real builds and QEMU boots.
std::unique_ptr<Executor> make_local_executor(LocalExecutorOptions options);

}  // namespace kci::orchestrator
