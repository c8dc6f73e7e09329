// SPDX-License-Identifier: LGPL-2.1-or-later
// LAVA notify callbacks as POST /callback/lava receives them: the body as
// JSON and as application/x-www-form-urlencoded, turned into the JSON the
// parser reads (server::lava_callback_json) and parsed into KCIDB tests
// (pipeline::parse_lava_callback, also `kci lava parse`). Invariants: bad
// data only raises InvalidInputError (a 400, never a 500 or a crash); the
// tests it makes are a valid KCIDB report, since the server loads them
// without validating them again.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz.h"
#include "pipeline/lava/lava.h"
#include "report/model.h"
#include "report/validate.h"
#include "server/lava_callback.h"
#include "util/error.h"

namespace {

void parse(std::string_view body, std::string_view content_type) {
  using namespace kci;
  try {
    std::string json = server::lava_callback_json(body, content_type);
    pipeline::LavaCallbackOptions options;
    options.origin = "lab";
    pipeline::LavaJobResults job = pipeline::parse_lava_callback(json, options);
    json::Document doc;
    report::to_json(job.report, doc);
    report::ValidationResult valid = report::validate_report(doc);
    if (!valid.ok()) {
      std::fprintf(stderr, "invalid report from a callback: %s\n",
                   valid.errors.front().str().c_str());
    }
    KCI_FUZZ_CHECK(valid.ok());
  } catch (const InvalidInputError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  parse(body, "application/json");
  parse(body, "application/x-www-form-urlencoded; charset=utf-8");
  return 0;
}
