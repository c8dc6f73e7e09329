// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace kci {

namespace {

std::string system_reason() { return std::strerror(errno); }

// Reads stream to its end; over_limit is thrown when it holds more than
// max_bytes (FileError for kci's own files, InputFileError for the user's).
template <typename OverLimit>
std::string read_all(std::FILE* stream, const std::string& name, std::size_t max_bytes) {
  std::string data;
  char chunk[1 << 16];
  while (true) {
    std::size_t n = std::fread(chunk, 1, sizeof chunk, stream);
    if (n > 0) {
      if (data.size() + n > max_bytes) {
        throw OverLimit(name + ": input larger than the limit of " + std::to_string(max_bytes) +
                        " bytes");
      }
      data.append(chunk, n);
    }
    if (n < sizeof chunk) {
      if (std::ferror(stream)) throw FileError(name + ": read failed: " + system_reason());
      break;
    }
  }
  return data;
}

}  // namespace

std::string read_stream(std::FILE* stream, const std::string& name, std::size_t max_bytes) {
  return read_all<FileError>(stream, name, max_bytes);
}

std::string read_file(const std::string& path, std::size_t max_bytes) {
  if (path == "-") return read_stream(stdin, "<stdin>", max_bytes);
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw FileError(path + ": cannot open: " + system_reason());
  try {
    std::string data = read_stream(f, path, max_bytes);
    std::fclose(f);
    return data;
  } catch (...) {
    std::fclose(f);
    throw;
  }
}

std::FILE* open_input_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw InputFileError(path + ": cannot open: " + system_reason());
  // fopen opens a directory for reading; its first read fails (EISDIR),
  // which a reader would report as an I/O error.
  struct stat st {};
  if (::fstat(::fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
    std::fclose(f);
    throw InputFileError(path + ": cannot open: " + std::strerror(EISDIR));
  }
  return f;
}

std::string read_input_file(const std::string& path, std::size_t max_bytes) {
  if (path == "-") return read_all<InputFileError>(stdin, "<stdin>", max_bytes);
  std::FILE* f = open_input_file(path);
  try {
    std::string data = read_all<InputFileError>(f, path, max_bytes);
    std::fclose(f);
    return data;
  } catch (...) {
    std::fclose(f);
    throw;
  }
}

void write_file_atomic(const std::string& path, std::string_view data) {
  std::filesystem::path target(path);
  std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
  std::string tmp =
      (dir / ("." + target.filename().string() + ".tmp." + std::to_string(::getpid()))).string();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw FileError(tmp + ": cannot create: " + system_reason());
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string why = system_reason();
      ::close(fd);
      ::unlink(tmp.c_str());
      throw FileError(tmp + ": write failed: " + why);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    std::string why = system_reason();
    ::unlink(tmp.c_str());
    throw FileError(tmp + ": fsync/close failed: " + why);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string why = system_reason();
    ::unlink(tmp.c_str());
    throw FileError(path + ": rename failed: " + why);
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace kci
