// SPDX-License-Identifier: LGPL-2.1-or-later
#include "bisect/command_step_runner.h"

#include <cstdio>

#include "util/log.h"
#include "util/subprocess.h"

namespace kci::bisect {

namespace {

// The last non-empty line of the output, cut to 200 bytes: the detail.
std::string last_line(const std::string& text) {
  std::size_t end = text.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return "";
  std::size_t start = text.find_last_of("\n", end);
  start = start == std::string::npos ? 0 : start + 1;
  std::string line = text.substr(start, end + 1 - start);
  if (line.size() > 200) line = line.substr(0, 200) + "...";
  return line;
}

}  // namespace

std::map<std::string, std::string> command_environment(const KernelStepOptions& step,
                                                       bool build_only) {
  std::map<std::string, std::string> env;
  auto put = [&](const char* key, const std::string& value) {
    if (!value.empty()) env[key] = value;
  };
  put("KCI_BISECT_ARCH", step.arch);
  put("KCI_BISECT_CONFIG", step.config);
  put("KCI_BISECT_TOOLCHAIN", step.toolchain);
  if (!build_only) {
    put("KCI_BISECT_TEST", step.test_path);
    put("KCI_BISECT_PLAN", step.plan);
    put("KCI_BISECT_PLATFORM", step.platform);
  }
  return env;
}

CommandStepRunner::CommandStepRunner(CommandStepOptions options) : options_(std::move(options)) {}

void CommandStepRunner::set_environment(const std::map<std::string, std::string>& env) {
  for (const auto& [key, value] : env) options_.env[key] = value;
}

CommandStepRunner::Run CommandStepRunner::run(const std::string& commit) {
  RunOptions o;
  o.cwd = options_.source_dir;
  o.env = options_.env;
  o.env["KCI_BISECT_COMMIT"] = commit;
  o.env["KCI_BISECT_MODE"] = options_.build_only ? "build" : "test";
  o.timeout = options_.timeout;
  o.merge_stderr = true;
  if (options_.progress) {
    o.on_output = [](std::string_view chunk) {
      std::fwrite(chunk.data(), 1, chunk.size(), stderr);
      return true;
    };
  }
  Run out;
  RunResult r;
  try {
    r = run_process({"/bin/sh", "-c", options_.command}, o);
  } catch (const SpawnError& e) {
    out.detail = e.what();
    return out;
  }
  out.seconds = std::chrono::duration<double>(r.elapsed).count();
  std::string tail = last_line(r.out);
  if (r.timed_out) {
    char text[64];
    std::snprintf(text, sizeof text, "timed out after %.0f s",
                  std::chrono::duration<double>(options_.timeout).count());
    out.status = Status::kError;
    out.detail = text;
  } else if (r.signal != 0) {
    out.status = Status::kError;
    out.detail = "killed by signal " + std::to_string(r.signal);
  } else if (r.exit_code == 0) {
    out.status = Status::kPass;
  } else if (r.exit_code == 125) {
    out.status = Status::kSkip;
    out.detail = "untestable (exit 125)";
  } else if (r.exit_code < 128) {
    out.status = Status::kFail;
    out.detail = "exit " + std::to_string(r.exit_code);
  } else {
    out.status = Status::kError;
    out.detail = "exit " + std::to_string(r.exit_code) + " (128 or more: not a verdict)";
  }
  if (!tail.empty() && out.status != Status::kPass) out.detail += ": " + tail;
  if (options_.progress) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f s", out.seconds);
    log::info("kci bisect: run " + commit.substr(0, 12) + " " + name(out.status) + " (" + text +
              ")" + (out.detail.empty() ? "" : ": " + out.detail));
  }
  return out;
}

BuildOutcome CommandStepRunner::build(const std::string& commit) {
  BuildOutcome out;
  if (!options_.build_only) {
    // The command is the test: nothing to build.
    out.status = Status::kPass;
    return out;
  }
  Run r = run(commit);
  out.status = r.status;
  out.reason = r.detail;
  out.seconds = r.seconds;
  return out;
}

TestOutcome CommandStepRunner::test(const std::string& commit) {
  Run r = run(commit);
  TestOutcome out;
  out.status = r.status;
  out.detail = r.detail;
  out.seconds = r.seconds;
  out.untestable = r.status == Status::kSkip;
  return out;
}

}  // namespace kci::bisect
