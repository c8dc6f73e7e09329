// SPDX-License-Identifier: LGPL-2.1-or-later
// kci logs scan: find kernel crash reports in a console log, or compiler,
// linker, modpost, make and Kconfig problems in a build log, and print them
// as JSON lines.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "triage/scan.h"
#include "util/file.h"

namespace kci::cli {

namespace {

struct LogsScanOptions {
  std::string kind = "console";
  std::string file = "-";
};

void register_logs(CLI::App& root, RunContext& ctx) {
  auto* logs = root.add_subcommand("logs", "Read kernel console and build logs");
  logs->require_subcommand(1);
  auto o = std::make_shared<LogsScanOptions>();
  auto* scan = logs->add_subcommand(
      "scan",
      "Find kernel problems in a log and print one JSON object per line, first found first: "
      "{\"kind\",\"title\",\"line\",\"excerpt\",\"signature\",\"corrupted\"} (build findings also "
      "have file, file_line, message). Exit 0 whether or not problems are found, 1 when the log "
      "cannot be read");
  scan->add_option("--kind", o->kind, "console (serial console or dmesg) or build (kbuild output)")
      ->check(CLI::IsMember({"console", "build"}))
      ->default_val("console");
  scan->add_option("file", o->file, "The log file, or - for standard input")->default_val("-");
  scan->callback([o, &ctx] {
    triage::LogKind kind = *triage::parse_log_kind(o->kind);
    std::FILE* in = stdin;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> owned(nullptr, &std::fclose);
    if (o->file != "-") {
      try {
        owned.reset(open_input_file(o->file));
      } catch (const InputFileError& e) {
        std::fprintf(stderr, "kci: %s\n", e.what());
        ctx.exit_status = kExitInvalidInput;
        return;
      }
      in = owned.get();
    }
    std::string name = o->file == "-" ? "standard input" : o->file;
    try {
      triage::ScanTotals totals = triage::scan_stream(kind, in, name, [](triage::Finding&& f) {
        std::string line = triage::to_json_line(f);
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), stdout);
      });
      if (totals.dropped > 0) {
        std::fprintf(stderr, "kci: %s: %zu more problems not printed (limit reached)\n",
                     name.c_str(), totals.dropped);
      }
    } catch (const FileError& e) {
      std::fflush(stdout);
      std::fprintf(stderr, "kci: %s\n", e.what());
      ctx.exit_status = kExitInvalidInput;
      return;
    }
    std::fflush(stdout);
  });
}

}  // namespace

KCI_COMMAND(70, register_logs);

}  // namespace kci::cli
