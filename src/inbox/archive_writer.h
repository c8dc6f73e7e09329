// SPDX-License-Identifier: LGPL-2.1-or-later
// Writing public-inbox archives with one `git fast-import`: for the tests
// and the bench (archives made from mbox files), and for `kci inbox import`
// (a local archive to try a list configuration on). A v1 archive stores
// each message under a path made from a hash of its Message-ID; a v2 one
// replaces the file "m" in each commit, starting a new epoch every
// messages_per_epoch messages. Appending to an existing archive continues
// its last epoch.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace kci::inbox {

struct ArchiveWriteOptions {
  bool v2 = true;
  std::size_t messages_per_epoch = 0;  // v2: 0 = one epoch
};

// Appends the messages (raw RFC 5322 text each; an mbox "From " line in
// front is dropped) to the archive at dir, creating it if needed. Throws
// Error when git fails.
void append_to_archive(const std::string& dir, const std::vector<std::string>& messages,
                       const ArchiveWriteOptions& options = {});

// Marks messages as removed, the v2 way (a commit with "d" holding the
// message); for v1 the message's file is deleted.
void remove_from_archive(const std::string& dir, const std::vector<std::string>& messages,
                         const ArchiveWriteOptions& options = {});

}  // namespace kci::inbox
