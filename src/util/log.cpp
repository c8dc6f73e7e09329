// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

namespace kci::log {

namespace {

std::mutex& sink_mutex() {
  static std::mutex m;
  return m;
}

Sink& current_sink() {
  static Sink sink;
  return sink;
}

std::atomic<Level>& current_level() {
  static std::atomic<Level> level{Level::kInfo};
  return level;
}

void write_stderr(std::string_view message) {
  // One write per line, so that lines of concurrent threads do not mix.
  std::string line;
  line.reserve(message.size() + 1);
  line.append(message);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

Sink exchange_sink(Sink sink) {
  std::lock_guard lock(sink_mutex());
  Sink previous = std::move(current_sink());
  current_sink() = std::move(sink);
  return previous;
}

}  // namespace

void set_sink(Sink sink) { exchange_sink(std::move(sink)); }

void set_level(Level level) { current_level().store(level); }
Level level() { return current_level().load(); }
bool enabled(Level l) { return static_cast<int>(l) <= static_cast<int>(level()); }

std::string_view level_name(Level l) {
  switch (l) {
    case Level::kError: return "error";
    case Level::kWarn: return "warn";
    case Level::kInfo: return "info";
    case Level::kDebug: return "debug";
  }
  return "info";
}

void write(Level l, std::string_view message) {
  if (!enabled(l)) return;
  std::lock_guard lock(sink_mutex());
  if (current_sink()) {
    current_sink()(l, message);
  } else {
    write_stderr(message);
  }
}

ScopedSink::ScopedSink(Sink sink) : previous_(exchange_sink(std::move(sink))) {}
ScopedSink::~ScopedSink() { exchange_sink(std::move(previous_)); }

}  // namespace kci::log
