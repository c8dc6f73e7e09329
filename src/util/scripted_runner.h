// SPDX-License-Identifier: LGPL-2.1-or-later
// A CommandRunner for tests: it starts nothing. Each command is matched
// against replies given beforehand (a program name and words that must all
// be in the command line); the first matching reply answers it: its exit
// status, output (fed to RunOptions::on_output in lines, as a live program
// would, so a stop on a panic works), a timeout or a spawn failure, and an
// optional effect (e.g. writing the files make would have written). Every
// command is recorded, with its working directory and environment.
//
//   ScriptedRunner runner;
//   runner.reply("make", {"bzImage"}, {.exit_code = 2, .out = "error: x\n"});
//   runner.missing("qemu-system-x86_64");
//   ... code under test ...
//   EXPECT_EQ(runner.calls()[0].argv[0], "make");
//
// A command no reply matches exits 127 with "scripted runner: no reply for
// ..." on stderr and is listed in unmatched(), so a test can insist that
// nothing unexpected ran.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "util/command_runner.h"

namespace kci {

class ScriptedRunner final : public CommandRunner {
 public:
  struct Reply {
    int exit_code = 0;
    int signal = 0;            // ended by this signal (exit_code becomes -1)
    bool timed_out = false;    // as if RunOptions::timeout had passed
    bool spawn_error = false;  // run() throws SpawnError
    std::string out{};
    std::string err{};
    std::chrono::milliseconds elapsed{0};
    // Runs before the output is fed, with the command and its options.
    std::function<void(const std::vector<std::string>& argv, const RunOptions& options)> effect{};
    bool once = false;  // answers one command only, then the next match answers
  };

  struct Call {
    std::vector<std::string> argv;
    std::string cwd;
    std::map<std::string, std::string> env;
    std::optional<std::chrono::milliseconds> timeout;
    bool matched = false;
  };

  // Answers commands whose argv[0] (or its last path component) is `program`
  // and that hold every one of `words` as an argument. Replies are tried in
  // the order given.
  ScriptedRunner& reply(const std::string& program, std::vector<std::string> words, Reply reply);
  ScriptedRunner& reply(const std::string& program, Reply r) {
    return reply(program, {}, std::move(r));
  }
  // exists(program) is false and running it throws SpawnError.
  ScriptedRunner& missing(const std::string& program);

  RunResult run(const std::vector<std::string>& argv, const RunOptions& options) override;
  bool exists(const std::string& program) override;

  const std::vector<Call>& calls() const { return calls_; }
  // The command lines no reply matched.
  std::vector<std::vector<std::string>> unmatched() const;
  // The calls whose program is `program`, in order.
  std::vector<Call> calls_of(const std::string& program) const;

 private:
  bool known(const std::string& program) const;
  struct Rule {
    std::string program;
    std::vector<std::string> words;
    Reply reply;
    bool used = false;
  };
  std::vector<Rule> rules_;
  std::set<std::string> missing_;
  std::vector<Call> calls_;
};

}  // namespace kci
