// SPDX-License-Identifier: LGPL-2.1-or-later
// The kci binary: a root app whose subcommands come from cmd_*.cpp files.
#include <algorithm>
#include <array>
#include <cstdio>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/command.h"
#include "util/error.h"
#include "util/huge_pages.h"

namespace kci::cli {

namespace {

std::vector<std::pair<int, CommandRegistrar>>& registry() {
  static std::vector<std::pair<int, CommandRegistrar>> commands;
  return commands;
}

// Commands that build large results in memory (query results, analysis
// tables, merged reports, a server's or a pipeline's working set): they run
// with glibc's huge-page heap (util/huge_pages.h). The others do not, because
// executing kci again costs about 28 ms, more than a short command gains.
bool builds_large_results(int argc, char** argv) {
  static constexpr std::array<std::string_view, 12> kLarge = {
      "analyze", "compare",     "db",  "history", "issues",  "merge",
      "notify",  "regressions", "run", "serve",   "summary", "worker"};
  if (argc < 2) return false;
  return std::find(kLarge.begin(), kLarge.end(), std::string_view(argv[1])) != kLarge.end();
}

}  // namespace

bool add_command(int order, CommandRegistrar registrar) {
  registry().emplace_back(order, registrar);
  return true;
}

}  // namespace kci::cli

int main(int argc, char** argv) {
  // First: a command that builds large results may execute kci again with
  // glibc's huge-page heap (the re-executed process sees the same argv).
  if (kci::cli::builds_large_results(argc, argv)) kci::util::use_huge_page_heap(argv);
  using namespace kci::cli;
  CLI::App app{
      "kci: KernelCI as one toolkit. KCIDB reports (validate, upgrade, merge), the\n"
      "result store, the submission service and the build/boot/test pipeline."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "kci 0.1.0");
  RunContext ctx;
  auto& commands = registry();
  std::stable_sort(commands.begin(), commands.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [order, registrar] : commands) registrar(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  } catch (const kci::UsageError& e) {
    std::fprintf(stderr, "kci: %s\n", e.what());
    return kExitUsage;
  } catch (const kci::InvalidInputError& e) {
    std::fprintf(stderr, "kci: %s\n", e.what());
    return kExitInvalidInput;
  } catch (const kci::Error& e) {
    std::fprintf(stderr, "kci: %s\n", e.what());
    return ctx.exit_status != kExitOk ? ctx.exit_status : kExitFailure;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kci: internal error: %s\n", e.what());
    return kExitFailure;
  }
  return ctx.exit_status;
}
