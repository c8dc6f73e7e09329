// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/runtime/cpio.h"

#include <cstdio>
#include <sys/stat.h>

#include "util/subprocess.h"

namespace kci::pipeline {

namespace {

void append_hex8(std::string& out, std::uint32_t value) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08X", value);
  out.append(buf, 8);
}

void pad4(std::string& out) {
  while (out.size() % 4 != 0) out.push_back('\0');
}

}  // namespace

void CpioWriter::add_entry(std::string_view path, std::uint32_t mode, std::string_view data,
                           std::uint32_t rdev_major, std::uint32_t rdev_minor) {
  out_ += "070701";
  append_hex8(out_, next_inode_++);
  append_hex8(out_, mode);
  append_hex8(out_, 0);  // uid
  append_hex8(out_, 0);  // gid
  append_hex8(out_, (mode & S_IFMT) == S_IFDIR ? 2 : 1);  // nlink
  append_hex8(out_, 0);  // mtime: fixed, for reproducible archives
  append_hex8(out_, static_cast<std::uint32_t>(data.size()));
  append_hex8(out_, 0);  // dev major
  append_hex8(out_, 0);  // dev minor
  append_hex8(out_, rdev_major);
  append_hex8(out_, rdev_minor);
  append_hex8(out_, static_cast<std::uint32_t>(path.size() + 1));  // name size with NUL
  append_hex8(out_, 0);  // check
  out_.append(path);
  out_.push_back('\0');
  pad4(out_);
  out_.append(data);
  pad4(out_);
}

void CpioWriter::add_directory(std::string_view path, std::uint32_t mode) {
  add_entry(path, S_IFDIR | mode, {});
}

void CpioWriter::add_file(std::string_view path, std::string_view data, std::uint32_t mode) {
  add_entry(path, S_IFREG | mode, data);
}

void CpioWriter::add_symlink(std::string_view path, std::string_view target) {
  add_entry(path, S_IFLNK | 0777, target);
}

void CpioWriter::add_char_device(std::string_view path, std::uint32_t major, std::uint32_t minor,
                                 std::uint32_t mode) {
  add_entry(path, S_IFCHR | mode, {}, major, minor);
}

std::string CpioWriter::finish() {
  add_entry("TRAILER!!!", 0, {});
  std::string archive = std::move(out_);
  out_.clear();
  next_inode_ = 1;
  return archive;
}

std::string gzip_compress(std::string_view data) {
  RunOptions options;
  options.stdin_data = std::string(data);
  // run_process, not run_checked: the output is binary and must keep its
  // trailing bytes.
  RunResult result = run_process({"gzip", "-9", "-n", "-c"}, options);
  if (!result.ok()) throw Error("gzip failed: " + result.err);
  return std::move(result.out);
}

}  // namespace kci::pipeline
