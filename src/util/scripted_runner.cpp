// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/scripted_runner.h"

#include <algorithm>

namespace kci {

namespace {

std::string basename_of(const std::string& program) {
  std::size_t slash = program.rfind('/');
  return slash == std::string::npos ? program : program.substr(slash + 1);
}

bool same_program(const std::string& wanted, const std::string& argv0) {
  return wanted == argv0 || wanted == basename_of(argv0);
}

std::string joined(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& word : argv) out += (out.empty() ? "" : " ") + word;
  return out;
}

}  // namespace

ScriptedRunner& ScriptedRunner::reply(const std::string& program, std::vector<std::string> words,
                                      Reply r) {
  rules_.push_back(Rule{program, std::move(words), std::move(r), false});
  return *this;
}

ScriptedRunner& ScriptedRunner::missing(const std::string& program) {
  missing_.insert(program);
  return *this;
}

bool ScriptedRunner::exists(const std::string& program) { return known(program); }

bool ScriptedRunner::known(const std::string& program) const {
  return !missing_.contains(program) && !missing_.contains(basename_of(program));
}

RunResult ScriptedRunner::run(const std::vector<std::string>& argv, const RunOptions& options) {
  if (argv.empty()) throw SpawnError("scripted runner: empty command");
  Call call{argv, options.cwd, options.env, options.timeout, false};
  if (!exists(argv[0])) {
    calls_.push_back(call);
    throw SpawnError("cannot run " + argv[0] + ": not found (scripted)");
  }
  Rule* rule = nullptr;
  for (Rule& candidate : rules_) {
    if (candidate.used || !same_program(candidate.program, argv[0])) continue;
    bool all = std::all_of(candidate.words.begin(), candidate.words.end(), [&](const auto& w) {
      return std::find(argv.begin() + 1, argv.end(), w) != argv.end();
    });
    if (all) {
      rule = &candidate;
      break;
    }
  }
  RunResult result;
  if (!rule) {
    calls_.push_back(call);
    result.exit_code = 127;
    result.err = "scripted runner: no reply for " + joined(argv) + "\n";
    if (options.merge_stderr) {
      result.out = result.err;
      result.err.clear();
    }
    return result;
  }
  call.matched = true;
  calls_.push_back(call);
  if (rule->reply.once) rule->used = true;
  const Reply& r = rule->reply;
  if (r.spawn_error) throw SpawnError("cannot run " + argv[0] + " (scripted)");
  if (r.effect) r.effect(argv, options);

  std::string out = r.out;
  std::string err = r.err;
  if (options.merge_stderr) {
    out += err;
    err.clear();
  }
  // Fed line by line, as a live program's output arrives.
  bool stopped = false;
  if (options.on_output) {
    std::size_t start = 0;
    while (start < out.size()) {
      std::size_t end = out.find('\n', start);
      end = end == std::string::npos ? out.size() : end + 1;
      if (!options.on_output(std::string_view(out).substr(start, end - start))) {
        stopped = true;
        out.resize(end);  // what had arrived when the program was stopped
        break;
      }
      start = end;
    }
  }
  result.elapsed = r.elapsed;
  result.stopped = stopped;
  result.timed_out = !stopped && r.timed_out;
  if (stopped || result.timed_out) {
    result.exit_code = -1;
    result.signal = 9;
  } else if (r.signal != 0) {
    result.exit_code = -1;
    result.signal = r.signal;
  } else {
    result.exit_code = r.exit_code;
  }
  if (options.capture_stdout || options.merge_stderr) result.out = std::move(out);
  if (options.capture_stderr && !options.merge_stderr) result.err = std::move(err);
  return result;
}

std::vector<std::vector<std::string>> ScriptedRunner::unmatched() const {
  std::vector<std::vector<std::string>> out;
  for (const Call& c : calls_) {
    if (!c.matched && known(c.argv[0])) out.push_back(c.argv);
  }
  return out;
}

std::vector<ScriptedRunner::Call> ScriptedRunner::calls_of(const std::string& program) const {
  std::vector<Call> out;
  for (const Call& c : calls_) {
    if (same_program(program, c.argv[0])) out.push_back(c);
  }
  return out;
}

}  // namespace kci
