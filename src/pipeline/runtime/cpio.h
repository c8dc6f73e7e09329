// SPDX-License-Identifier: LGPL-2.1-or-later
// Writing initramfs archives: the "newc" cpio format the kernel unpacks
// (Documentation/driver-api/early-userspace/buffer-format.rst). Writing it
// here, not with cpio(1), lets kci put device nodes such as /dev/console in
// the archive without being root, and makes the archive reproducible (fixed
// owners and times).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kci::pipeline {

class CpioWriter {
 public:
  // Paths are relative to the archive root, without a leading "/".
  void add_directory(std::string_view path, std::uint32_t mode = 0755);
  void add_file(std::string_view path, std::string_view data, std::uint32_t mode = 0644);
  void add_symlink(std::string_view path, std::string_view target);
  void add_char_device(std::string_view path, std::uint32_t major, std::uint32_t minor,
                       std::uint32_t mode = 0600);
  // Appends the trailer and returns the archive (uncompressed).
  std::string finish();

 private:
  void add_entry(std::string_view path, std::uint32_t mode, std::string_view data,
                 std::uint32_t rdev_major = 0, std::uint32_t rdev_minor = 0);
  std::string out_;
  std::uint32_t next_inode_ = 1;
};

// Compresses data with gzip(1) (-9, no name or time stamp, so the result
// depends only on the input). Throws Error if gzip fails.
std::string gzip_compress(std::string_view data);

}  // namespace kci::pipeline
