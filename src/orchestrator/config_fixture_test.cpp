// SPDX-License-Identifier: LGPL-2.1-or-later
// For local_executor_test.cpp, which cannot include the configuration's
// header beside the runtime seam (platforms.h): a configuration from YAML.
#include <memory>
#include <string>

#include "orchestrator/test_fixture.h"
#include "pipeline/config/config.h"

namespace kci::orchestrator {

std::shared_ptr<const pipeline::PipelineConfig> load_config_for_test(const std::string& dir,
                                                                     const std::string& yaml) {
  return std::make_shared<const pipeline::PipelineConfig>(
      testing::write_and_load_config(dir, yaml));
}

}  // namespace kci::orchestrator
