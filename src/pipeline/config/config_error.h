// SPDX-License-Identifier: LGPL-2.1-or-later
// The error of a configuration file that cannot be used. Its own header so
// that users of the configuration do not include yaml-cpp (a heavy header).
#pragma once

#include "util/error.h"

namespace kci::pipeline {

// A configuration file that cannot be used: the message starts with
// "file:line:column: " (1-based) when the place is known.
class ConfigError : public InvalidInputError {
 public:
  using InvalidInputError::InvalidInputError;
};

}  // namespace kci::pipeline
