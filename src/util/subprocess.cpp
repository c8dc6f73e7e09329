// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

extern char** environ;

namespace kci {

namespace {

// Closes a file descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

void make_pipe(Fd& read_end, Fd& write_end) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw SpawnError(std::string("pipe: ") + std::strerror(errno));
  read_end.fd = p[0];
  write_end.fd = p[1];
}

std::vector<std::string> build_environment(const RunOptions& options) {
  std::set<std::string> drop(options.unset_env.begin(), options.unset_env.end());
  for (const auto& [k, v] : options.env) drop.insert(k);
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string key = entry.substr(0, entry.find('='));
    if (drop.count(key) == 0) env.push_back(entry);
  }
  for (const auto& [k, v] : options.env) env.push_back(k + "=" + v);
  return env;
}

std::string join(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s.push_back(' ');
    s += a;
  }
  return s;
}

}  // namespace

bool program_exists(const std::string& program) {
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::string p = path != nullptr ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= p.size()) {
    std::size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string candidate = p.substr(start, end - start) + "/" + program;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return true;
    }
    start = end + 1;
  }
  return false;
}

RunResult run_process(const std::vector<std::string>& argv, const RunOptions& options) {
  if (argv.empty()) throw SpawnError("run_process: empty command");
  if (!program_exists(argv[0])) throw SpawnError(argv[0] + ": command not found");

  Fd in_r, in_w, out_r, out_w, err_r, err_w;
  if (options.stdin_data) make_pipe(in_r, in_w);
  bool want_out = options.capture_stdout || options.merge_stderr || options.on_output;
  if (want_out) make_pipe(out_r, out_w);
  bool want_err = options.capture_stderr && !options.merge_stderr;
  if (want_err) make_pipe(err_r, err_w);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (options.stdin_data) {
    posix_spawn_file_actions_adddup2(&actions, in_r.fd, 0);
  } else {
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  }
  if (want_out) posix_spawn_file_actions_adddup2(&actions, out_w.fd, 1);
  if (options.merge_stderr) {
    posix_spawn_file_actions_adddup2(&actions, out_w.fd, 2);
  } else if (want_err) {
    posix_spawn_file_actions_adddup2(&actions, err_w.fd, 2);
  }
  if (!options.cwd.empty()) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29))
    posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
#else
#error "posix_spawn_file_actions_addchdir_np is required"
#endif
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t empty_mask, default_signals;
  sigemptyset(&empty_mask);
  posix_spawnattr_setsigmask(&attr, &empty_mask);
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  sigaddset(&default_signals, SIGINT);
  sigaddset(&default_signals, SIGTERM);
  posix_spawnattr_setsigdefault(&attr, &default_signals);

  std::vector<std::string> env = build_environment(options);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& a : args) argp.push_back(a.data());
  argp.push_back(nullptr);

  auto started = std::chrono::steady_clock::now();
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argp[0], &actions, &attr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw SpawnError(argv[0] + ": cannot start: " + std::strerror(rc));
  in_r.reset();
  out_w.reset();
  err_w.reset();

  RunResult result;
  std::string_view to_write = options.stdin_data ? std::string_view(*options.stdin_data) : "";
  if (options.stdin_data) ::fcntl(in_w.fd, F_SETFL, O_NONBLOCK);
  if (options.stdin_data && to_write.empty()) in_w.reset();
  char buf[65536];
  bool killed = false;
  while (out_r.fd >= 0 || err_r.fd >= 0 || in_w.fd >= 0) {
    std::vector<pollfd> fds;
    if (out_r.fd >= 0) fds.push_back({out_r.fd, POLLIN, 0});
    if (err_r.fd >= 0) fds.push_back({err_r.fd, POLLIN, 0});
    if (in_w.fd >= 0) fds.push_back({in_w.fd, POLLOUT, 0});
    int wait_ms = -1;
    if (options.timeout) {
      auto left = *options.timeout - std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - started);
      wait_ms = left.count() > 0 ? static_cast<int>(left.count()) : 0;
    }
    int n = ::poll(fds.data(), fds.size(), wait_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {  // timeout
      result.timed_out = true;
      ::kill(-pid, SIGKILL);
      killed = true;
      break;
    }
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == in_w.fd) {
        ssize_t w = ::write(in_w.fd, to_write.data(), to_write.size());
        if (w > 0) to_write.remove_prefix(static_cast<std::size_t>(w));
        if (w < 0 && errno != EAGAIN) to_write = {};
        if (to_write.empty()) in_w.reset();
        continue;
      }
      ssize_t r = ::read(p.fd, buf, sizeof buf);
      if (r <= 0) {
        if (r < 0 && errno == EINTR) continue;
        if (p.fd == out_r.fd)
          out_r.reset();
        else
          err_r.reset();
        continue;
      }
      std::string_view chunk(buf, static_cast<std::size_t>(r));
      if (p.fd == out_r.fd) {
        if (options.capture_stdout || options.merge_stderr) result.out.append(chunk);
        if (options.on_output && !killed && !options.on_output(chunk)) {
          result.stopped = true;
          ::kill(-pid, SIGKILL);
          killed = true;
        }
      } else {
        result.err.append(chunk);
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (killed) ::kill(-pid, SIGKILL);  // stragglers of the group
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

std::string run_checked(const std::vector<std::string>& argv, const RunOptions& options) {
  RunResult r = run_process(argv, options);
  if (!r.ok()) {
    std::string why = r.timed_out     ? "timed out"
                      : r.signal != 0 ? "killed by signal " + std::to_string(r.signal)
                                      : "exit status " + std::to_string(r.exit_code);
    std::string err = r.err;
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    throw Error("`" + join(argv) + "` failed (" + why + ")" + (err.empty() ? "" : ": " + err));
  }
  std::string out = std::move(r.out);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace kci
