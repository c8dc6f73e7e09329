// SPDX-License-Identifier: LGPL-2.1-or-later
// kci subscriptions check FILE...: validates subscription files (the
// KernelCI dashboard's per-tree form or kci's rules) and lists what each
// subscribes to.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "notify/subscriptions.h"
#include "util/error.h"

namespace kci::cli {
namespace {

void register_subscriptions(CLI::App& root, RunContext& ctx) {
  auto files = std::make_shared<std::vector<std::string>>();
  auto* subs = root.add_subcommand("subscriptions", "Email report subscriptions");
  subs->require_subcommand(1);
  auto* check = subs->add_subcommand(
      "check", "Validate subscription files; errors name the file and line (exit 1)");
  check->add_option("FILE", *files, "Subscription YAML files")->required();
  check->callback([files, &ctx] {
    int bad = 0;
    for (const auto& f : *files) {
      try {
        auto list = notify::load_subscriptions(f);
        for (const auto& s : list) {
          std::string kinds;
          for (auto k : s.kinds)
            kinds += std::string(kinds.empty() ? "" : ",") + notify::report_kind_name(k);
          std::printf(
              "%s\t%s\ttree=%s branch=%s origin=%s kinds=%s%s\tto=%zu cc=%zu\n", s.name.c_str(),
              (f + ":" + std::to_string(s.line)).c_str(), s.tree.empty() ? "*" : s.tree.c_str(),
              s.branch.empty() ? "*" : s.branch.c_str(), s.origin.empty() ? "*" : s.origin.c_str(),
              kinds.empty() ? "all" : kinds.c_str(),
              s.regressions_only ? " regressions-only" : " always", s.to.size(), s.cc.size());
        }
      } catch (const InvalidInputError& e) {
        std::fprintf(stderr, "kci: %s\n", e.what());
        ++bad;
      }
    }
    if (bad) ctx.exit_status = kExitInvalidInput;
  });
}

}  // namespace

KCI_COMMAND(70, register_subscriptions);

}  // namespace kci::cli
