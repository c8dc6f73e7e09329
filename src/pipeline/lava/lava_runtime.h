// SPDX-License-Identifier: LGPL-2.1-or-later
// The LAVA runtime behind the Runtime seam: run() writes the job definition
// for the platform and submits it to the lab; the results come back later
// through LAVA's notify callback (parse_lava_callback), so a run is never
// finished when run() returns.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "pipeline/lava/lava.h"
#include "pipeline/lava/lava_submit.h"
#include "pipeline/runtime/runtime.h"

namespace kci::pipeline {

class LavaRuntime final : public Runtime {
 public:
  // How a definition reaches the lab; submit_lava_job by default, a
  // recording function in tests.
  using Submit = std::function<LavaSubmission(
      const LavaServer& server, const std::string& device_type, const std::string& definition)>;
  struct Options {
    LavaServer server;
    std::vector<LavaPlatform> platforms = builtin_lava_platforms();
    std::string ramdisk_url;   // kci's initramfs for the plans, published where LAVA reaches it
    std::string callback_url;  // empty: no notify block
    std::string callback_token = "kci-callback";
    std::string priority = "medium";
  };

  explicit LavaRuntime(Options options, Submit submit = submit_lava_job)
      : options_(std::move(options)), submit_(std::move(submit)) {}
  std::string name() const override { return "lava"; }
  // Throws InvalidInputError for an unknown platform, no build id or no
  // kernel image name (bmeta.json's kernel_image) in job.artifact_dir.
  RuntimeRun run(const RuntimeJob& job) override;

  // The job definition run() submits for job (no submission).
  std::string definition(const RuntimeJob& job) const;

 private:
  Options options_;
  Submit submit_;
};

}  // namespace kci::pipeline
