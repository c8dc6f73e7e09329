// SPDX-License-Identifier: LGPL-2.1-or-later
// The JSON Schema (draft-07) of each KCIDB I/O version, generated from kci's
// own description of the format (the same one the validator uses), for
// `kci schema` and for tools that want a generic validator.
#pragma once

#include <string>

#include "report/json.h"
#include "report/version.h"

namespace kci::report {

// Builds the JSON Schema document of version v in doc (overwriting it).
void build_json_schema(Version v, json::Document& doc);

}  // namespace kci::report
