// SPDX-License-Identifier: LGPL-2.1-or-later
// Finds the problems in a kernel build log: gcc and clang errors and
// warnings, assembler errors, linker errors (GNU ld and lld), modpost,
// make and Kconfig problems. Each distinct problem is reported once, with
// file, line and message, and a signature built from (class, file,
// canonical message): it does not change when the line moves, and gcc's and
// clang's wordings of one error ("'x' undeclared" / "use of undeclared
// identifier 'x'") give the same signature.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "triage/finding.h"

namespace kci::triage {

struct BuildScanOptions {
  std::size_t max_findings = 10000;
  bool warnings = true;  // report warnings too (else errors only)
};

class BuildScanner {
 public:
  using Sink = std::function<void(Finding&&)>;
  explicit BuildScanner(Sink sink, BuildScanOptions options = {});
  ~BuildScanner();
  BuildScanner(const BuildScanner&) = delete;
  BuildScanner& operator=(const BuildScanner&) = delete;

  void line(std::string_view raw, std::size_t number);
  void finish();
  std::size_t dropped() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

std::vector<Finding> scan_build(std::string_view log, BuildScanOptions options = {});

// The compiler-independent key of a diagnostic message ("undeclared:x",
// "missing-file:foo.h", "W:unused-variable:y"), exposed for tests.
std::string canonical_message(std::string_view message);

}  // namespace kci::triage
