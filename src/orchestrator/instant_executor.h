// SPDX-License-Identifier: LGPL-2.1-or-later
// An executor that builds and boots nothing and answers at once: `kci run
// --runtime instant`, for tests of the scheduling and the CLI, and for the
// scheduler bench. Every node passes unless a script says otherwise; the
// KCIDB objects it reports are real objects (a checkout and a build per
// kbuild, one test per job), so ingest and analysis see the run.
//
// Script lines (instant_script_from_text): `SUBSTRING RESULT[,RESULT...]`:
// the first line whose SUBSTRING is in a node's name gives its result, the
// n-th RESULT for its n-th attempt (the last one repeats). RESULT is pass,
// fail, skip or error (an infrastructure error, retried). '#' starts a
// comment.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "orchestrator/executor.h"

namespace kci::orchestrator {

struct InstantScriptLine {
  std::string match;
  std::vector<std::string> results;
};
using InstantScript = std::vector<InstantScriptLine>;

// Throws InvalidInputError naming `source` and the line for a bad line.
InstantScript instant_script_from_text(const std::string& text, const std::string& source);

class InstantExecutor final : public Executor {
 public:
  explicit InstantExecutor(InstantScript script = {}, std::string origin = "kci",
                           std::chrono::milliseconds delay = std::chrono::milliseconds(0))
      : script_(std::move(script)), origin_(std::move(origin)), delay_(delay) {}
  std::string name() const override { return "instant"; }
  Outcome run(const Node& node, const Node& parent) override;

 private:
  InstantScript script_;
  std::string origin_;
  std::chrono::milliseconds delay_;
};

}  // namespace kci::orchestrator
