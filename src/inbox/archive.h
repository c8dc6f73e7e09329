// SPDX-License-Identifier: LGPL-2.1-or-later
// Reading a public-inbox archive (the format behind lore.kernel.org), as
// git repositories read with the git command:
//  - v1: one git repository; each commit adds one message as a blob named
//    after the SHA-1 of its Message-ID ("ab/cdef...");
//  - v2: epochs DIR/git/0.git, 1.git, ...; each commit's tree holds one
//    file "m" with the message, or "d" with a message that was removed.
// Messages are read oldest first with one `git log --raw` and one
// `git cat-file --batch` per epoch, streamed. A cursor (the last commit read
// in each epoch) makes the next read return only newer messages.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "inbox/message.h"
#include "util/error.h"

namespace kci::inbox {

// Epoch number -> last commit read in that epoch.
using Cursor = std::map<int, std::string>;

struct ReadStats {
  std::size_t commits = 0;           // commits walked
  std::size_t messages = 0;          // messages handed out
  std::size_t removed = 0;           // "d" (v2) or deleted blobs (v1), skipped
  std::size_t rescanned_epochs = 0;  // epochs whose cursor was unknown: read from the start
};

class Archive {
 public:
  enum class Format { kV1, kV2 };
  struct Epoch {
    int number = 0;
    std::string git_dir;
  };

  // Opens the archive at path: a v2 inbox directory (with git/N.git) or a
  // v1 git repository (bare or not). Throws InvalidInputError naming path
  // when it is neither.
  static Archive open(const std::string& path);

  Format format() const { return format_; }
  const std::string& path() const { return path_; }
  const std::vector<Epoch>& epochs() const { return epochs_; }

  // Calls on_message for every message added after cursor, oldest first
  // (epochs in order), and moves cursor to each epoch's head. A cursor
  // commit the epoch does not have (history rewritten) reads the epoch from
  // its start. Throws Error when git fails.
  ReadStats read_new(Cursor& cursor, const std::function<void(Message&&)>& on_message) const;

  // The messages of the given blobs of one epoch, in the order given
  // (re-reading messages kept by their blob id).
  std::vector<Message> read_blobs(int epoch, const std::vector<std::string>& blobs) const;

 private:
  std::string path_;
  Format format_ = Format::kV1;
  std::vector<Epoch> epochs_;
};

}  // namespace kci::inbox
