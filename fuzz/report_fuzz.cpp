// SPDX-License-Identifier: LGPL-2.1-or-later
// The report stream as `kci report validate|upgrade` and `kci submit` read
// it (concatenated JSON values or RFC 7464 sequences), each value validated
// and upgraded to the latest version (the server's POST /submit is the
// http target). Invariants: bad data only ever raises InvalidInputError;
// an upgraded report is valid for the latest version; what write_value
// prints reads back as one value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz.h"
#include "report/stream.h"
#include "report/upgrade.h"
#include "report/validate.h"
#include "report/version.h"
#include "util/error.h"

namespace {

void read_stream(std::string_view text, bool seq) {
  using namespace kci::report;
  try {
    JsonStreamReader reader{std::string(text), "<fuzz>", seq};
    int values = 0;
    while (auto v = reader.next()) {
      if (++values > 64) break;
      ValidationResult result = validate_report(v->doc);
      if (!result.ok()) continue;
      try {
        upgrade_report(v->doc, latest_version());
      } catch (const kci::InvalidInputError&) {
        continue;
      }
      ValidationResult upgraded = validate_report(v->doc);
      KCI_FUZZ_CHECK(upgraded.ok());
      KCI_FUZZ_CHECK(upgraded.version == latest_version());
      std::string out;
      write_value(v->doc, values % 2 ? 0 : 2, seq, out);
      JsonStreamReader again{out, "<written>", seq};
      KCI_FUZZ_CHECK(again.next().has_value());
      KCI_FUZZ_CHECK(!again.next().has_value());
    }
  } catch (const kci::InvalidInputError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  read_stream(text, false);
  if (text.find('\x1e') != std::string_view::npos) read_stream(text, true);
  return 0;
}
