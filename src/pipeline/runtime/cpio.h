// SPDX-License-Identifier: LGPL-2.1-or-later
// Writing initramfs archives: the "newc" cpio format the kernel unpacks
// (Documentation/driver-api/early-userspace/buffer-format.rst), written with
// libarchive (util/archive.h), not cpio(1), so that kci can put device nodes
// such as /dev/console in the archive without being root, and the archive
// is reproducible (fixed owners and times).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "util/archive.h"

namespace kci::pipeline {

class CpioWriter {
 public:
  CpioWriter();
  // Paths are relative to the archive root, without a leading "/".
  void add_directory(std::string_view path, std::uint32_t mode = 0755);
  void add_file(std::string_view path, std::string_view data, std::uint32_t mode = 0644);
  void add_symlink(std::string_view path, std::string_view target);
  void add_char_device(std::string_view path, std::uint32_t major, std::uint32_t minor,
                       std::uint32_t mode = 0600);
  // Appends the trailer and returns the archive (uncompressed; see
  // gzip_compress in util/archive.h).
  std::string finish();

 private:
  std::unique_ptr<ArchiveWriter> writer_;
};

}  // namespace kci::pipeline
