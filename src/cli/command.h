// SPDX-License-Identifier: LGPL-2.1-or-later
// How subcommands plug into the kci binary. Each src/cli/cmd_*.cpp defines a
// function that adds its subcommand(s) to the root CLI11 app and registers
// it with KCI_COMMAND; main() calls them all. The commands are thin shells:
// parse options, call the library, print.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace kci::cli {

// Exit statuses shared by every command (see docs/cli.md).
enum ExitStatus : int {
  kExitOk = 0,
  kExitInvalidInput = 1,  // bad JSON, invalid report, failed build/test verdicts
  kExitUsage = 2,         // bad options or arguments
  kExitFailure = 3,       // the environment failed: I/O, database, network
};

// Shared state of one run: a command's callback sets the exit status here.
struct RunContext {
  int exit_status = kExitOk;
};

using CommandRegistrar = void (*)(CLI::App& root, RunContext& ctx);

// Registers a registrar; `order` sorts commands in --help.
bool add_command(int order, CommandRegistrar registrar);

}  // namespace kci::cli

#define KCI_COMMAND_CONCAT2(a, b) a##b
#define KCI_COMMAND_CONCAT(a, b) KCI_COMMAND_CONCAT2(a, b)
// KCI_COMMAND(order, function): registers `function` at static-init time.
#define KCI_COMMAND(order, fn)                                                \
  [[maybe_unused]] static const bool KCI_COMMAND_CONCAT(kci_cmd_, __LINE__) = \
      ::kci::cli::add_command(order, fn)
