// SPDX-License-Identifier: LGPL-2.1-or-later
// The library's one way to tell a person what it is doing: messages with a
// level, into one process-wide sink (stderr by default). Tests and servers
// set their own sink; the CLI prints its own results and errors itself.
// A message is one line of text without its "\n"; it is written as given
// (the callers keep their "kci build: " style prefixes).
#pragma once

#include <functional>
#include <string_view>

namespace kci::log {

enum class Level { kError, kWarn, kInfo, kDebug };

using Sink = std::function<void(Level, std::string_view message)>;

// Replaces the sink (thread-safe); an empty Sink restores stderr.
void set_sink(Sink sink);

// Messages less important than `level` are dropped (default kInfo).
void set_level(Level level);
Level level();
bool enabled(Level level);

// "error", "warn", "info", "debug".
std::string_view level_name(Level level);

void write(Level level, std::string_view message);
inline void error(std::string_view message) { write(Level::kError, message); }
inline void warn(std::string_view message) { write(Level::kWarn, message); }
inline void info(std::string_view message) { write(Level::kInfo, message); }
inline void debug(std::string_view message) { write(Level::kDebug, message); }

// Sets a sink for the life of the object, then restores the previous one
// (for tests).
class ScopedSink {
 public:
  explicit ScopedSink(Sink sink);
  ~ScopedSink();
  ScopedSink(const ScopedSink&) = delete;
  ScopedSink& operator=(const ScopedSink&) = delete;

 private:
  Sink previous_;
};

}  // namespace kci::log
