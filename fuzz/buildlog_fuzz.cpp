// SPDX-License-Identifier: LGPL-2.1-or-later
// Kernel build logs: the triage scanner (`kci logs scan --kind build`, in
// memory and line by line from chunks, as the stream reader feeds it), the
// build step's own summary and excerpt (pipeline::scan_build_log) and the
// canonical message behind signatures. Invariants: nothing throws for any
// bytes; a finding's line is in the log; chunks and the whole text give
// the same findings; the excerpt respects its limit.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz.h"
#include "pipeline/build/kbuild_log.h"
#include "scan_check.h"
#include "triage/build_scan.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kci;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz::check_scanner<triage::BuildScanner>(triage::LogKind::kBuild, text);
  triage::BuildScanOptions errors_only;
  errors_only.warnings = false;
  errors_only.max_findings = 3;
  KCI_FUZZ_CHECK(triage::scan_build(text, errors_only).size() <= 3);
  triage::canonical_message(text.substr(0, 512));

  pipeline::scan_build_log(text);
  KCI_FUZZ_CHECK(pipeline::build_log_excerpt(text, 200).size() <= 200);
  return 0;
}
