// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/runtime/cpio.h"

namespace kci::pipeline {

CpioWriter::CpioWriter()
    : writer_(std::make_unique<ArchiveWriter>(ArchiveFormat::kCpioNewc, Compression::kNone)) {}

void CpioWriter::add_directory(std::string_view path, std::uint32_t mode) {
  writer_->add_directory(path, mode);
}

void CpioWriter::add_file(std::string_view path, std::string_view data, std::uint32_t mode) {
  writer_->add_file(path, data, mode);
}

void CpioWriter::add_symlink(std::string_view path, std::string_view target) {
  writer_->add_symlink(path, target);
}

void CpioWriter::add_char_device(std::string_view path, std::uint32_t major, std::uint32_t minor,
                                 std::uint32_t mode) {
  writer_->add_char_device(path, major, minor, mode);
}

std::string CpioWriter::finish() {
  std::string archive = writer_->finish();
  writer_ = std::make_unique<ArchiveWriter>(ArchiveFormat::kCpioNewc, Compression::kNone);
  return archive;
}

}  // namespace kci::pipeline
