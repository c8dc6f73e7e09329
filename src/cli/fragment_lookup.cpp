// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/fragment_lookup.h"

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>

#include "pipeline/config/config.h"

namespace kci::cli {

pipeline::NamedFragmentLookup fragment_lookup(const std::vector<std::string>& files) {
  auto config = std::make_shared<std::optional<pipeline::PipelineConfig>>();
  auto loaded = std::make_shared<bool>(false);
  return
      [files, config, loaded](const std::string& name) -> std::optional<std::vector<std::string>> {
        if (!*loaded) {
          *loaded = true;
          std::vector<std::string> paths = files;
          if (paths.empty()) {
            const char* env = std::getenv("KCI_CONFIG");
            std::string path = env && *env ? env : "config/kci.yaml";
            std::error_code ec;
            if (!std::filesystem::exists(path, ec)) return std::nullopt;
            paths.push_back(path);
          }
          *config = pipeline::load_pipeline_config(paths, {});
        }
        if (!config->has_value() || !(*config)->fragment(name)) return std::nullopt;
        return (*config)->fragment_configs(name);
      };
}

}  // namespace kci::cli
