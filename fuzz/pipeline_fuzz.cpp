// SPDX-License-Identifier: LGPL-2.1-or-later
// The pipeline YAML (KernelCI's build-configs and newer pipeline files,
// kci's own config/kci.yaml) as load_pipeline_config reads each file:
// parsed with merge keys resolved, added to a configuration, checked, and
// its build matrix expanded as `kci build --matrix` and `kci run` do.
// Invariant: bad configuration only raises InvalidInputError (ConfigError),
// never a crash or another exception.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz.h"
#include "pipeline/config/config.h"
#include "pipeline/config/matrix.h"
#include "pipeline/config/yaml_util.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kci;
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    pipeline::PipelineConfig config;
    config.add_document(pipeline::load_yaml_string(text, "<fuzz>"), "<fuzz>");
    config.finish();
    pipeline::MatrixOptions options;
    options.kernel_version = "v6.1.0-rc1-12-gabcdef";
    pipeline::Matrix matrix = pipeline::expand_build_matrix(config, options);
    KCI_FUZZ_CHECK(matrix.entries.size() < (std::size_t{1} << 24));
    for (const auto& [name, fragment] : config.fragments()) config.fragment_configs(name);
  } catch (const InvalidInputError&) {
  }
  return 0;
}
