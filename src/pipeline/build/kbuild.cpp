// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/build/kbuild.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include "pipeline/build/artifacts.h"
#include "pipeline/build/config_stamp.h"
#include "util/archive.h"
#include "util/command_runner.h"
#include "util/file.h"
#include "util/log.h"
#include "util/subprocess.h"
#include "util/text.h"
#include "util/time.h"

namespace kci::pipeline {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool is_inline_config(const std::string& token) {
  return token.starts_with("CONFIG_") || token.starts_with("# CONFIG_");
}

std::string ensure_newline(std::string text) {
  if (!text.empty() && text.back() != '\n') text.push_back('\n');
  return text;
}

std::string git(CommandRunner& runner, const std::string& dir, std::vector<std::string> args) {
  args.insert(args.begin(), {"git", "-C", dir});
  RunOptions options;
  options.timeout = std::chrono::seconds(60);
  RunResult r;
  try {
    r = runner.run(args, options);
  } catch (const SpawnError&) {
    return "";
  }
  if (!r.ok()) return "";
  std::string out = r.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// Whether "CONFIG_NAME=y" is in a .config.
bool config_enabled(const std::string& dot_config, const std::string& name) {
  std::istringstream in(dot_config);
  std::string wanted = "CONFIG_" + name + "=y";
  for (std::string line; std::getline(in, line);) {
    if (line == wanted) return true;
  }
  return false;
}

std::string join_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& word : argv) out += (out.empty() ? "" : " ") + shell_quote(word);
  return out;
}

// The live output of one make step: into build.log as it comes, and into a
// progress line ("  CC      kernel/fork.o" is kbuild's own progress).
class StepOutput {
 public:
  StepOutput(std::FILE* log, ProgressStyle style, std::string step)
      : log_(log), style_(style), step_(std::move(step)), start_(Clock::now()) {}

  void feed(std::string_view chunk) {
    std::fwrite(chunk.data(), 1, chunk.size(), log_);
    if (style_ != ProgressStyle::kTerminal) return;
    partial_.append(chunk);
    std::size_t end = partial_.rfind('\n');
    if (end == std::string::npos) return;
    std::size_t begin = end == 0 ? std::string::npos : partial_.rfind('\n', end - 1);
    begin = begin == std::string::npos ? 0 : begin + 1;
    std::string last = partial_.substr(begin, end - begin);
    partial_.erase(0, end + 1);
    auto now = Clock::now();
    if (now - last_draw_ < std::chrono::milliseconds(200)) return;
    last_draw_ = now;
    draw(last);
  }

  void finish(bool ok) {
    std::fflush(log_);
    double elapsed = seconds_since(start_);
    if (style_ == ProgressStyle::kNone) return;
    // Clears the progress line this step drew on the terminal.
    if (style_ == ProgressStyle::kTerminal) std::fputs("\r\033[K", stderr);
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f s", elapsed);
    log::info("kci build: " + step_ + (ok ? " done" : " failed") + " in " + seconds);
  }

 private:
  void draw(std::string line) {
    // Collapse kbuild's column padding; keep the line inside 100 columns.
    std::string compact;
    for (char c : line) {
      if (c == ' ' && (compact.empty() || compact.back() == ' ')) continue;
      compact.push_back(c == '\t' ? ' ' : c);
    }
    if (compact.size() > 70) compact = "..." + compact.substr(compact.size() - 67);
    // A live progress line, drawn over itself: a terminal display the CLI
    // asked for (ProgressStyle::kTerminal), not a log message.
    auto s = static_cast<long>(seconds_since(start_));
    std::fprintf(stderr, "\r\033[Kkci build: %s [%02ld:%02ld] %s", step_.c_str(), s / 60, s % 60,
                 compact.c_str());
    std::fflush(stderr);
  }

  std::FILE* log_;
  ProgressStyle style_;
  std::string step_;
  Clock::time_point start_;
  Clock::time_point last_draw_{};
  std::string partial_;
};

struct StepOutcome {
  bool ok = false;
  bool killed = false;
  bool timed_out = false;
  bool spawn_failed = false;
};

// Everything a build needs while its steps run.
struct BuildRun {
  const BuildRequest& request;
  CommandRunner& runner;
  BuildResult& result;
  std::FILE* log = nullptr;
  std::map<std::string, std::string> environment;
  std::string source_dir;
  Clock::time_point start = Clock::now();

  std::vector<std::string> make(const std::vector<std::string>& targets, bool parallel) const {
    std::vector<std::string> argv = {"make", "O=" + result.build_dir};
    if (parallel) argv.push_back("-j" + std::to_string(request.jobs));
    for (const auto& v : result.setup.make_variables) argv.push_back(v);
    for (const auto& t : targets) argv.push_back(t);
    return argv;
  }

  void log_line(const std::string& line) const {
    std::fputs(line.c_str(), log);
    std::fputc('\n', log);
    std::fflush(log);
  }

  StepOutcome run(const std::string& step, const std::vector<std::string>& argv) {
    StepRecord record;
    record.name = step;
    record.start_time = now_rfc3339();
    record.command = join_command(argv);
    log_line("# kci build: " + step + ": " + record.command);
    StepOutput output(log, request.progress, step);
    RunOptions options;
    options.cwd = source_dir;
    options.env = environment;
    options.merge_stderr = true;
    options.capture_stdout = false;
    options.on_output = [&output](std::string_view chunk) {
      output.feed(chunk);
      return true;
    };
    if (request.timeout) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*request.timeout -
                                                                        (Clock::now() - start));
      options.timeout = std::max(left, std::chrono::milliseconds(1));
    }
    auto step_start = Clock::now();
    StepOutcome outcome;
    try {
      RunResult r = runner.run(argv, options);
      outcome.ok = r.ok();
      outcome.timed_out = r.timed_out;
      outcome.killed = r.signal != 0;
      if (!r.ok()) {
        log_line("# kci build: " + step + " failed: " +
                 (r.timed_out ? std::string("timed out")
                  : r.signal  ? "killed by signal " + std::to_string(r.signal)
                              : "exit status " + std::to_string(r.exit_code)));
      }
    } catch (const SpawnError& e) {
      outcome.spawn_failed = true;
      log_line("# kci build: cannot run " + argv.front() + ": " + e.what());
    }
    output.finish(outcome.ok);
    record.ok = outcome.ok;
    record.duration = std::chrono::duration<double>(Clock::now() - step_start).count();
    result.steps.push_back(record);
    return outcome;
  }
};

std::string read_text_or_empty(const fs::path& path) {
  try {
    return read_file(path.string());
  } catch (const Error&) {
    return "";
  }
}

void copy_into(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) throw Error("cannot copy " + from.string() + " to " + to.string() + ": " + ec.message());
}

// Runs `size` on vmlinux: the cross binutils' own first, as they know the
// target's ELF machine for sure.
std::optional<VmlinuxSizes> measure_vmlinux(CommandRunner& runner, const fs::path& vmlinux,
                                            const ToolchainSetup& setup,
                                            const ToolchainSpec& toolchain) {
  std::vector<std::string> candidates;
  if (!setup.cross_compile.empty()) candidates.push_back(setup.cross_compile + "size");
  candidates.push_back("size");
  if (toolchain.family == CompilerFamily::kClang) {
    candidates.push_back(toolchain.version ? "llvm-size-" + std::to_string(*toolchain.version)
                                           : "llvm-size");
  }
  for (const auto& program : candidates) {
    if (!runner.exists(program)) continue;
    RunOptions options;
    options.timeout = std::chrono::seconds(60);
    RunResult r;
    try {
      r = runner.run({program, vmlinux.string()}, options);
    } catch (const SpawnError&) {
      continue;
    }
    if (!r.ok()) continue;
    if (auto sizes = parse_size_output(r.out)) return sizes;
  }
  return std::nullopt;
}

}  // namespace

ConfigSpec parse_config_spec(const std::string& text) {
  ConfigSpec spec;
  std::size_t start = 0;
  bool first = true;
  while (true) {
    std::size_t plus = text.find('+', start);
    std::string part =
        text.substr(start, plus == std::string::npos ? std::string::npos : plus - start);
    if (part.empty()) {
      throw UsageError("bad config '" + text +
                       "': expected DEFCONFIG[+FRAGMENT][+CONFIG_X=y]... without empty parts");
    }
    if (first) {
      spec.defconfig = part;
      first = false;
    } else {
      spec.fragments.push_back(part);
    }
    if (plus == std::string::npos) break;
    start = plus + 1;
  }
  if (is_inline_config(spec.defconfig) || spec.defconfig.find('/') != std::string::npos) {
    throw UsageError("bad config '" + text + "': it must start with a defconfig make target");
  }
  return spec;
}

ConfigFragment resolve_fragment(const std::string& token, const std::string& source_dir,
                                const std::string& srcarch, const NamedFragmentLookup& lookup) {
  ConfigFragment f;
  f.token = token;
  if (is_inline_config(token)) {
    if (token.starts_with("CONFIG_") && token.find('=') == std::string::npos) {
      throw UsageError("bad inline config '" + token + "': expected CONFIG_X=value");
    }
    f.name = token;
    f.content = token + "\n";
    f.source = "inline";
    return f;
  }
  std::error_code ec;
  if (fs::is_regular_file(token, ec)) {
    f.name = fs::path(token).stem().string();
    f.content = ensure_newline(read_file(token));
    f.source = fs::absolute(token).lexically_normal().string();
    return f;
  }
  if (lookup) {
    if (auto configs = lookup(token)) {
      f.name = token;
      for (const auto& line : *configs) f.content += line + "\n";
      f.source = "config:" + token;
      return f;
    }
  }
  std::vector<std::string> in_tree = {"kernel/configs/" + token + ".config",
                                      "arch/" + srcarch + "/configs/" + token + ".config"};
  for (const auto& relative : in_tree) {
    fs::path path = fs::path(source_dir) / relative;
    if (fs::is_regular_file(path, ec)) {
      f.name = token;
      f.content = ensure_newline(read_file(path.string()));
      f.source = relative;
      return f;
    }
  }
  throw UsageError("unknown config fragment '" + token + "': not CONFIG_X=value, not a file, " +
                   (lookup ? "not a fragment of the pipeline configuration, "
                           : "no pipeline configuration to look names up in, ") +
                   "not " + in_tree[0] + " or " + in_tree[1] + " in " + source_dir);
}

std::string config_full_name(const std::string& defconfig,
                             const std::vector<ConfigFragment>& fragments) {
  std::string full = defconfig;
  for (const auto& f : fragments) full += "+" + f.name;
  return full;
}

std::string merged_fragment_text(const std::vector<ConfigFragment>& fragments) {
  std::string text;
  for (const auto& f : fragments) {
    text += "# " + f.token + " (" + f.source + ")\n";
    text += f.content;
  }
  return text;
}

GitInfo read_git_info(const std::string& source_dir, CommandRunner& runner) {
  GitInfo info;
  info.commit = git(runner, source_dir, {"rev-parse", "--verify", "-q", "HEAD^{commit}"});
  if (info.commit.size() != 40) return GitInfo{};
  info.is_git = true;
  info.describe = git(runner, source_dir, {"describe", "--always", "--tags"});
  info.describe_long = git(runner, source_dir, {"describe", "--always", "--tags", "--long"});
  info.branch = git(runner, source_dir, {"symbolic-ref", "-q", "--short", "HEAD"});
  info.url = git(runner, source_dir, {"config", "--get", "remote.origin.url"});
  info.commit_date = git(runner, source_dir, {"log", "-1", "--format=%cD", "HEAD"});
  return info;
}

BuildStatus classify_failure(const BuildLogSummary& log, bool killed, bool timed_out,
                             bool configuring) {
  if (killed || timed_out || log.infrastructure_error) return BuildStatus::kError;
  // A defconfig that does not exist is a request the tree cannot serve, not
  // a broken kernel; a Kconfig syntax error is the kernel's own.
  if (configuring) return log.errors > 0 ? BuildStatus::kFail : BuildStatus::kError;
  return BuildStatus::kFail;
}

std::string default_build_dir(const std::string& arch, const std::string& config_full,
                              const std::string& toolchain) {
  return (fs::absolute("kci-build") / path_component(arch) / path_component(config_full) /
          path_component(toolchain))
      .lexically_normal()
      .string();
}

std::string reproducer_script(const ReproducerInput& in) {
  std::string s;
  s += "#!/bin/sh\n";
  s += "# Rebuilds " + in.config_full + " for " + in.arch + " with " + in.toolchain +
       " the way kci build did.\n";
  s += "# Usage: reproducer.sh [SOURCE_DIR [BUILD_DIR]]\n";
  s += "set -eu\n";
  s += "SRC=${1:-" + shell_quote(in.source_dir) + "}\n";
  s += "B=${2:-$PWD/build}\n";
  s += "mkdir -p \"$B\"\n";
  s += "B=$(cd \"$B\" && pwd)\n";
  s += "cd \"$SRC\"\n";
  if (!in.commit.empty()) s += "git checkout --detach " + in.commit + "\n";
  for (const auto& [name, value] : in.environment) {
    s += "export " + name + "=" + shell_quote(value) + "\n";
  }
  std::string vars;
  for (const auto& v : in.make_variables) vars += " " + shell_quote(v);
  s += "make O=\"$B\"" + vars + " " + shell_quote(in.defconfig) + "\n";
  if (!in.fragment_text.empty()) {
    s += "cat > \"$B/kernelci.config\" <<'KCI_FRAGMENT_END'\n" + ensure_newline(in.fragment_text) +
         "KCI_FRAGMENT_END\n";
    s += "scripts/kconfig/merge_config.sh -m -O \"$B\" \"$B/.config\" \"$B/kernelci.config\"\n";
    s += "make O=\"$B\"" + vars + " olddefconfig\n";
  }
  for (const auto& target : in.targets) {
    s += "make O=\"$B\" -j" + std::to_string(in.jobs) + vars + " " + shell_quote(target) + "\n";
  }
  return s;
}

BuildResult run_kbuild(const BuildRequest& request) {
  CommandRunner& runner = request.runner ? *request.runner : subprocess_runner();
  BuildResult result;
  auto wall_start = std::chrono::system_clock::now();
  result.start_time = format_rfc3339(wall_start);

  // Everything that is the caller's mistake is found before anything runs.
  std::error_code ec;
  if (!fs::is_regular_file(fs::path(request.source_dir) / "Makefile", ec)) {
    throw UsageError("not a kernel source tree (no Makefile): " + request.source_dir);
  }
  std::string source_dir = fs::absolute(request.source_dir).lexically_normal().string();
  while (source_dir.size() > 1 && source_dir.back() == '/') source_dir.pop_back();
  result.arch = arch_info(request.arch);
  result.toolchain = parse_toolchain(request.toolchain);
  result.config = parse_config_spec(request.config);
  for (const auto& token : result.config.fragments) {
    result.fragments.push_back(
        resolve_fragment(token, source_dir, result.arch.srcarch, request.fragment_lookup));
  }
  result.config_full = config_full_name(result.config.defconfig, result.fragments);
  result.setup = toolchain_setup(result.arch, result.toolchain, host_arch(), request.ccache,
                                 request.cross_compile);
  if (request.jobs <= 0) throw UsageError("--jobs must be positive");

  if (request.commit) {
    RunOptions options;
    options.timeout = std::chrono::minutes(10);
    RunResult r = runner.run(
        {"git", "-C", source_dir, "checkout", "-q", "--detach", *request.commit}, options);
    if (!r.ok()) {
      throw Error("cannot check out " + *request.commit + " in " + source_dir + ": " + r.err);
    }
  }
  result.git = read_git_info(source_dir, runner);
  if (request.git_url) result.git.url = *request.git_url;
  result.tree = request.tree ? *request.tree : fs::path(source_dir).filename().string();
  if (request.branch) {
    result.branch = *request.branch;
  } else if (!result.git.branch.empty()) {
    result.branch = result.git.branch;
  } else if (request.commit && result.git.is_git &&
             !git(runner, source_dir,
                  {"rev-parse", "-q", "--verify", "refs/heads/" + *request.commit})
                  .empty()) {
    result.branch = *request.commit;
  } else {
    result.branch = result.git.is_git ? "detached" : "unknown";
  }
  std::string describe = result.git.is_git ? result.git.describe : "unknown";

  result.build_dir =
      request.build_dir.empty()
          ? default_build_dir(result.arch.arch, result.config_full, result.toolchain.name)
          : fs::absolute(request.build_dir).lexically_normal().string();
  while (result.build_dir.size() > 1 && result.build_dir.back() == '/') result.build_dir.pop_back();
  result.publish_path = publish_path({result.tree, result.branch, describe, result.arch.arch,
                                      result.config_full, result.toolchain.name});
  fs::path store = fs::absolute(request.artifacts_dir).lexically_normal();
  fs::path publish_dir = store / result.publish_path;
  result.publish_dir = publish_dir.string();
  result.url_base = artifact_url(
      request.artifact_url ? *request.artifact_url : file_url(store.string()), result.publish_path);

  // A rebuild replaces what an earlier build of the same thing published.
  fs::remove_all(publish_dir, ec);
  fs::create_directories(publish_dir, ec);
  if (ec) throw Error("cannot create " + publish_dir.string() + ": " + ec.message());
  fs::create_directories(result.build_dir, ec);
  if (ec) throw Error("cannot create " + result.build_dir + ": " + ec.message());

  std::string log_path = (publish_dir / "build.log").string();
  std::FILE* log = std::fopen(log_path.c_str(), "w");
  if (!log) throw Error("cannot write " + log_path);
  BuildRun run{request, runner, result, log, {}, source_dir, Clock::now()};
  // The C locale keeps compiler messages in English and ASCII (quotes as
  // 'x', not typographic ones), as the log scanner and readers expect. The
  // kernel's Makefile unexports LC_ALL, so LANG and LC_CTYPE are set too.
  run.environment["LC_ALL"] = "C";
  run.environment["LANG"] = "C";
  run.environment["LC_CTYPE"] = "C";
  run.environment["LC_MESSAGES"] = "C";
  // Fixed build user, host and time make the image depend on the source
  // only (and let ccache hit across build directories).
  run.environment["KBUILD_BUILD_USER"] = "KernelCI";
  run.environment["KBUILD_BUILD_HOST"] = "kci";
  if (request.build_timestamp) {
    run.environment["KBUILD_BUILD_TIMESTAMP"] = *request.build_timestamp;
  } else if (!result.git.commit_date.empty()) {
    run.environment["KBUILD_BUILD_TIMESTAMP"] = result.git.commit_date;
  }
  if (request.build_version) run.environment["KBUILD_BUILD_VERSION"] = *request.build_version;
  run.log_line("# kci build: " + result.config_full + " " + result.arch.arch + " " +
               result.toolchain.name + " in " + source_dir + " -> " + result.build_dir);

  std::vector<std::string> targets = {result.arch.image_target};
  auto finish_failure = [&](BuildStatus status, std::string reason) {
    result.status = status;
    result.reason = std::move(reason);
  };

  bool built = false;
  if (auto missing = missing_program(result.setup, runner)) {
    std::string reason = "toolchain " + result.toolchain.name + " for " + result.arch.arch +
                         " is not installed: '" + *missing + "' not found in PATH";
    run.log_line("# kci build: " + reason);
    finish_failure(BuildStatus::kError, reason);
  } else {
    try {
      result.compiler = query_compiler_version(result.setup.compiler, runner);
      run.log_line("# kci build: compiler: " + result.compiler->full);
    } catch (const Error& e) {
      run.log_line(std::string("# kci build: ") + e.what());
      finish_failure(BuildStatus::kError, e.what());
    }
  }

  auto step = [&](const std::string& name, const std::vector<std::string>& argv, bool configuring) {
    if (!result.reason.empty()) return false;
    StepOutcome outcome = run.run(name, argv);
    if (outcome.ok) return true;
    std::fflush(log);
    BuildLogSummary summary = scan_build_log(read_text_or_empty(log_path));
    if (outcome.spawn_failed) {
      finish_failure(BuildStatus::kError, name + " step: cannot run " + argv.front());
    } else {
      BuildStatus status =
          classify_failure(summary, outcome.killed, outcome.timed_out, configuring);
      std::string why = outcome.timed_out ? "timed out"
                        : outcome.killed  ? "killed"
                        : summary.infrastructure_error
                            ? *summary.infrastructure_error
                            : (summary.error_lines.empty() ? std::string("make failed")
                                                           : summary.error_lines.front());
      finish_failure(status, name + " step: " + why);
    }
    return false;
  };

  // modules.tar.xz: the installed lib/modules tree, written with
  // libarchive (the tarball LAVA jobs unpack into the root filesystem).
  auto write_modules_tarball = [&](const fs::path& root, const fs::path& out) {
    if (!result.reason.empty()) return false;
    try {
      ArchiveWriter tarball(ArchiveFormat::kTarPax, Compression::kXz, out.string());
      tarball.add_tree(root.string(), "lib");
      tarball.finish();
      run.log_line("# kci build: wrote " + out.string());
      return true;
    } catch (const Error& e) {
      run.log_line(std::string("# kci build: ") + e.what());
      finish_failure(BuildStatus::kError, std::string("modules step: ") + e.what());
      return false;
    }
  };

  fs::path build = result.build_dir;
  std::string dot_config;
  using ConfigReuse = BuildRequest::ConfigReuse;
  bool config_reused =
      request.reuse_config == ConfigReuse::kExisting && fs::exists(build / ".config", ec);
  std::string stamp_key, stamp_commit;
  if (request.reuse_config == ConfigReuse::kWhenUnchanged && !result.git.commit.empty()) {
    stamp_key = config_stamp_key(result.arch.arch, result.toolchain.name, result.config.defconfig,
                                 merged_fragment_text(result.fragments));
    stamp_commit = read_config_stamp(build.string(), stamp_key);
    config_reused = !stamp_commit.empty() &&
                    config_unchanged_between(source_dir, stamp_commit, result.git.commit,
                                             result.arch.srcarch, runner);
  }
  result.config_reused = config_reused && result.reason.empty();
  if (config_reused && result.reason.empty()) {
    run.log_line("# kci build: config: the build directory's .config is reused");
  }
  if (result.reason.empty()) {
    if (!config_reused && step("config", run.make({result.config.defconfig}, false), true) &&
        !result.fragments.empty()) {
      write_file_atomic((build / "kernelci.config").string(),
                        merged_fragment_text(result.fragments));
      std::vector<std::string> merge = {source_dir + "/scripts/kconfig/merge_config.sh",
                                        "-m",
                                        "-O",
                                        build.string(),
                                        (build / ".config").string(),
                                        (build / "kernelci.config").string()};
      if (step("config", merge, true)) step("config", run.make({"olddefconfig"}, false), true);
    }
    dot_config = read_text_or_empty(build / ".config");
    bool modules = config_enabled(dot_config, "MODULES");
    bool dtbs =
        config_enabled(dot_config, "OF_FLATTREE") &&
        fs::is_directory(fs::path(source_dir) / "arch" / result.arch.srcarch / "boot" / "dts", ec);
    std::vector<std::string> kernel_make = run.make({result.arch.image_target}, true);
    result.command = join_command(kernel_make);
    bool ok = step("kernel", kernel_make, false);
    if (ok && modules) {
      targets.push_back("modules");
      fs::remove_all(build / "_modules_", ec);
      ok = step("modules", run.make({"modules"}, true), false) &&
           step("modules",
                run.make({"modules_install", "INSTALL_MOD_PATH=" + (build / "_modules_").string(),
                          "INSTALL_MOD_STRIP=1"},
                         false),
                false) &&
           write_modules_tarball(build / "_modules_", publish_dir / "modules.tar.xz");
      if (ok) result.outputs.push_back({"modules.tar.xz", "modules.tar.xz"});
    }
    if (ok && dtbs) {
      targets.push_back("dtbs");
      ok = step("dtbs", run.make({"dtbs"}, true), false) &&
           step("dtbs",
                run.make({"dtbs_install", "INSTALL_DTBS_PATH=" + (publish_dir / "dtbs").string()},
                         false),
                false);
      if (ok) {
        fs::create_directories(publish_dir / "dtbs", ec);
        result.outputs.push_back({"dtbs", "dtbs/"});
      }
    }
    built = ok;
  }
  if (built) result.status = BuildStatus::kPass;
  std::fclose(log);
  if (request.reuse_config == ConfigReuse::kWhenUnchanged) {
    // The .config is good for the next build when the config steps ran to
    // the end (or were skipped): the build passed, or failed compiling.
    // make's syncconfig may rewrite .config during any build: the stamp
    // follows it, or goes when the config steps did not finish.
    bool configured = built || (result.status == BuildStatus::kFail &&
                                result.reason.compare(0, 11, "kernel step") == 0);
    write_config_stamp(build.string(), stamp_key,
                       configured ? (result.config_reused ? stamp_commit : result.git.commit) : "");
  }

  // Publish. What exists is kept even for a failed build: its config and
  // log are what a developer looks at first.
  BuildMeta& meta = result.meta;
  if (built) {
    fs::path image = build / result.arch.image_path;
    std::string image_name = image.filename().string();
    copy_into(image, publish_dir / image_name);
    result.outputs.insert(result.outputs.begin(), {image_name, image_name});
    meta.kernel_image = image_name;
    meta.kernel_image_size = fs::file_size(image, ec);
    if (ec) meta.kernel_image_size.reset();
    copy_into(build / "System.map", publish_dir / "System.map");
    result.outputs.push_back({"System.map", "System.map"});
    meta.system_map = "System.map";
    if (auto offset = text_offset_from_system_map(read_text_or_empty(build / "System.map"))) {
      meta.text_offset = *offset;
    }
    meta.vmlinux_sizes = measure_vmlinux(runner, build / "vmlinux", result.setup, result.toolchain);
    meta.vmlinux_file_size = fs::file_size(build / "vmlinux", ec);
    if (ec) meta.vmlinux_file_size.reset();
    for (const auto& o : result.outputs) {
      if (o.name == "modules.tar.xz") meta.modules = o.path;
      if (o.name == "dtbs") meta.dtb_dir = "dtbs";
    }
  }
  if (!dot_config.empty()) {
    write_file_atomic((publish_dir / "kernel.config").string(), dot_config);
    result.outputs.push_back({"kernel.config", "kernel.config"});
    meta.kernel_config = "kernel.config";
  }
  if (!result.fragments.empty()) {
    write_file_atomic((publish_dir / "kernelci.config").string(),
                      merged_fragment_text(result.fragments));
    result.outputs.push_back({"kernelci.config", "kernelci.config"});
  }

  std::string log_text = read_text_or_empty(log_path);
  result.log_summary = scan_build_log(log_text);
  if (result.status != BuildStatus::kPass) {
    result.log_excerpt = build_log_excerpt(log_text);
    if (result.log_excerpt.empty()) result.log_excerpt = result.reason + "\n";
  }
  result.duration =
      std::chrono::duration<double>(std::chrono::system_clock::now() - wall_start).count();

  ReproducerInput repro;
  repro.source_dir = source_dir;
  repro.commit = result.git.commit;
  repro.config_full = result.config_full;
  repro.arch = result.arch.arch;
  repro.toolchain = result.toolchain.name;
  for (const auto& [name, value] : run.environment) repro.environment.emplace_back(name, value);
  repro.make_variables =
      toolchain_setup(result.arch, result.toolchain, host_arch(), false, request.cross_compile)
          .make_variables;
  repro.jobs = request.jobs;
  repro.defconfig = result.config.defconfig;
  repro.fragment_text = merged_fragment_text(result.fragments);
  repro.targets = targets;
  std::string reproducer_path = (publish_dir / "reproducer.sh").string();
  write_file_atomic(reproducer_path, reproducer_script(repro));
  fs::permissions(reproducer_path,
                  fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add, ec);
  result.outputs.push_back({"reproducer.sh", "reproducer.sh"});

  meta.status = status_name(result.status);
  meta.status_reason = result.reason;
  meta.build_time = result.duration;
  meta.build_environment = result.toolchain.name;
  meta.build_threads = request.jobs;
  meta.start_time = result.start_time;
  meta.arch = result.arch.arch;
  meta.compiler = result.toolchain.family == CompilerFamily::kClang ? "clang" : "gcc";
  if (result.compiler) {
    meta.compiler_version = result.compiler->version;
    meta.compiler_version_full = result.compiler->full;
  }
  meta.cross_compile = result.setup.cross_compile;
  meta.use_ccache = request.ccache;
  meta.defconfig = result.config.defconfig;
  meta.defconfig_full = result.config_full;
  meta.kconfig_fragments = result.config.fragments;
  meta.tree = result.tree;
  meta.git_url = result.git.url;
  meta.git_branch = result.branch;
  meta.git_commit = result.git.commit;
  meta.git_describe = result.git.describe;
  meta.git_describe_v = result.git.describe_long;
  meta.publish_path = result.publish_path;
  meta.build_log = "build.log";
  write_file_atomic((publish_dir / "bmeta.json").string(), bmeta_json(meta));
  result.outputs.push_back({"bmeta.json", "bmeta.json"});
  result.outputs.push_back({"build.log", "build.log"});
  return result;
}

}  // namespace kci::pipeline
