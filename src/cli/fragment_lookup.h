// SPDX-License-Identifier: LGPL-2.1-or-later
// --pipeline-config for the commands that build kernels (kci build, kci
// bisect): named config fragments (x86_64-boot, ...) looked up in the
// pipeline configuration.
#pragma once

#include <string>
#include <vector>

#include "pipeline/build/kbuild.h"

namespace kci::cli {

// Looks fragment names up in the pipeline configuration, loaded on the
// first name that is not CONFIG_X=y or a file, so that builds without
// named fragments need no configuration at all. Without --pipeline-config,
// a missing default file ($KCI_CONFIG, else config/kci.yaml) just means
// there are no named fragments.
pipeline::NamedFragmentLookup fragment_lookup(const std::vector<std::string>& files);

}  // namespace kci::cli
