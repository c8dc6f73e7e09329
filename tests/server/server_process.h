// SPDX-License-Identifier: LGPL-2.1-or-later
// A real `kci serve` child process on a free loopback port, for the service
// tests and the submission benchmark: started with fork/exec so that it can
// be killed with SIGKILL mid-work, its log kept in a file.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "client/http_client.h"

namespace kci::server::testing {

using client::HttpClient;
using client::HttpResponse;

// A port that was free a moment ago (the kernel's choice for port 0).
inline int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind a loopback socket");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class ServerProcess {
 public:
  // args: the options of `kci serve` (without --listen, which is added).
  ServerProcess(std::string kci, std::vector<std::string> args, std::string log_path)
      : kci_(std::move(kci)), args_(std::move(args)), log_path_(std::move(log_path)) {}
  ~ServerProcess() { kill(SIGKILL); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the server on a free port and waits until /healthz answers.
  void start(std::chrono::seconds timeout = std::chrono::seconds(60)) {
    port_ = free_loopback_port();
    std::vector<std::string> argv = {kci_, "serve", "--listen",
                                     "127.0.0.1:" + std::to_string(port_)};
    argv.insert(argv.end(), args_.begin(), args_.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (log >= 0) {
        ::dup2(log, 1);
        ::dup2(log, 2);
      }
      ::execv(cargv[0], cargv.data());
      ::_exit(127);
    }
    HttpClient client;
    client.set_timeout(std::chrono::milliseconds(2000));
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (client.get(base_url() + "/healthz").status == 200) return;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("kci serve exited at start; see " + log_path_);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("kci serve did not answer /healthz; see " + log_path_);
  }

  // Sends a signal and reaps the process; returns its wait status.
  int kill(int sig) {
    if (pid_ <= 0) return 0;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::string kci_;
  std::vector<std::string> args_;
  std::string log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace kci::server::testing
