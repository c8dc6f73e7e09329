// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

#include "util/error.h"

namespace kci {

// A file that could not be read or written; the message names the path and
// the system's reason.
class FileError : public Error {
 public:
  using Error::Error;
};

// Reads a whole file ("-" = standard input). Throws FileError, or when the
// input is larger than max_bytes, FileError naming the limit.
std::string read_file(const std::string& path, std::size_t max_bytes = SIZE_MAX);

// Reads everything from an open stream (e.g. stdin).
std::string read_stream(std::FILE* stream, const std::string& name,
                        std::size_t max_bytes = SIZE_MAX);

// Writes data to path atomically: a temporary file beside it is written,
// fsynced and renamed over path, and the directory is fsynced, so that a
// reader (or a crash) sees either the old file or the whole new one.
void write_file_atomic(const std::string& path, std::string_view data);

}  // namespace kci
