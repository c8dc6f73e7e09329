// SPDX-License-Identifier: LGPL-2.1-or-later
#include "triage/line_splitter.h"

#include <cerrno>
#include <cstring>
#include <vector>

#include "util/file.h"

namespace kci::triage {

void LineSplitter::deliver(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  ++number_;
  sink_(line, number_);
}

void LineSplitter::feed(std::string_view chunk) {
  bytes_ += chunk.size();
  const char* p = chunk.data();
  const char* end = p + chunk.size();
  while (p < end) {
    const char* nl =
        static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    std::size_t n = static_cast<std::size_t>((nl ? nl : end) - p);
    if (carry_.empty() && !skipping_ && nl) {
      deliver(std::string_view(p, n < max_line_ ? n : max_line_));  // no copy
    } else {
      // A line split across chunks: keep at most max_line bytes of it.
      if (!skipping_) {
        std::size_t room = max_line_ - carry_.size();
        carry_.append(p, n < room ? n : room);
        skipping_ = carry_.size() >= max_line_;
      }
      if (nl) {
        deliver(carry_);
        carry_.clear();
        skipping_ = false;
      }
    }
    p = nl ? nl + 1 : end;
  }
}

void LineSplitter::finish() {
  if (!carry_.empty() || skipping_) deliver(carry_);
  carry_.clear();
  skipping_ = false;
}

void split_stream(std::FILE* stream, const std::string& name, LineSplitter& splitter) {
  std::vector<char> buf(1 << 20);
  for (;;) {
    std::size_t n = std::fread(buf.data(), 1, buf.size(), stream);
    if (n > 0) splitter.feed(std::string_view(buf.data(), n));
    if (n < buf.size()) {
      if (std::ferror(stream)) {
        throw FileError("cannot read " + name + ": " + std::strerror(errno));
      }
      break;
    }
  }
  splitter.finish();
}

}  // namespace kci::triage
