// SPDX-License-Identifier: LGPL-2.1-or-later
// Writing archives with libarchive: the initramfs cpio ("newc", gzip'd) the
// kernel unpacks and the modules tarball (xz) LAVA installs, with no cpio(1),
// tar(1) or gzip(1) in between. Entries are owned by root:root and, unless
// they come from the disk, dated 1970 (reproducible archives).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "util/error.h"

namespace kci {

enum class ArchiveFormat {
  kCpioNewc,  // the kernel's initramfs format (SVR4 "newc", no CRC)
  kTarPax,    // POSIX tar (ustar; pax headers only for what ustar cannot hold)
};

enum class Compression { kNone, kGzip, kXz };

class ArchiveWriter {
 public:
  // Writes into memory; finish() returns the bytes.
  ArchiveWriter(ArchiveFormat format, Compression compression);
  // Writes into the file at path (replaced when finish() succeeds).
  ArchiveWriter(ArchiveFormat format, Compression compression, const std::string& path);
  ~ArchiveWriter();
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  // Paths are relative to the archive root, without a leading "/".
  void add_directory(std::string_view path, std::uint32_t mode = 0755);
  void add_file(std::string_view path, std::string_view data, std::uint32_t mode = 0644);
  void add_symlink(std::string_view path, std::string_view target);
  void add_char_device(std::string_view path, std::uint32_t major, std::uint32_t minor,
                       std::uint32_t mode = 0600);
  // Adds the directory `root`/`relative` and everything under it, in name
  // order, as `relative`/...: directories, regular files (streamed) and
  // symbolic links, with their modes and times; owners become root.
  void add_tree(const std::string& root, const std::string& relative);

  // Ends the archive (the trailer, the compressor's end). Returns the bytes
  // when writing into memory, "" when writing a file.
  std::string finish();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// data compressed as gzip(1) -9 -n would (maximum compression, no name and
// no time stamp, so the output depends only on the input).
std::string gzip_compress(std::string_view data);

}  // namespace kci
