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

// An input file the user named (an argument, an option, $KCI_CONFIG) that
// cannot be used as such: it does not exist, may not be read, is a
// directory, or is larger than the command accepts. Bad input (exit status
// 1, docs/cli.md), not a failure of the environment: the user named the
// wrong file. Errors while reading an opened file stay FileError (exit 3).
class InputFileError : public InvalidInputError {
 public:
  using InvalidInputError::InvalidInputError;
};

// Reads a whole file ("-" = standard input). Throws FileError, or when the
// input is larger than max_bytes, FileError naming the limit.
std::string read_file(const std::string& path, std::size_t max_bytes = SIZE_MAX);

// Reads a whole input file the user named ("-" = standard input), as
// read_file, but a file that cannot be opened, is a directory or is larger
// than max_bytes throws InputFileError "PATH: cannot open: REASON" (the
// system's reason: "No such file or directory", "Permission denied", "Is a
// directory") or "PATH: input larger than the limit of N bytes". Files kci
// writes and reads itself (spool, build directories) use read_file.
std::string read_input_file(const std::string& path, std::size_t max_bytes = SIZE_MAX);

// Opens an input file the user named for reading, for commands that stream
// it rather than read it whole: a file that cannot be opened or is a
// directory throws InputFileError "PATH: cannot open: REASON", as
// read_input_file does. The caller closes the stream.
std::FILE* open_input_file(const std::string& path);

// Reads everything from an open stream (e.g. stdin).
std::string read_stream(std::FILE* stream, const std::string& name,
                        std::size_t max_bytes = SIZE_MAX);

// Writes data to path atomically: a temporary file beside it is written,
// fsynced and renamed over path, and the directory is fsynced, so that a
// reader (or a crash) sees either the old file or the whole new one.
void write_file_atomic(const std::string& path, std::string_view data);

}  // namespace kci
