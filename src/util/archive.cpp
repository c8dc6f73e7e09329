// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "util/file.h"

namespace kci {

namespace fs = std::filesystem;

struct ArchiveWriter::Impl {
  archive* a = nullptr;
  std::string memory;     // the archive, when writing into memory
  std::string path;       // the file, when writing one
  std::string temp_path;  // written first, renamed by finish()
  std::FILE* file = nullptr;
  std::int64_t next_inode = 1;
  bool finished = false;

  ~Impl() {
    if (a) archive_write_free(a);
    if (file) std::fclose(file);
    if (!temp_path.empty() && !finished) {
      std::error_code ec;
      fs::remove(temp_path, ec);
    }
  }

  [[noreturn]] void fail(const std::string& what) const {
    const char* reason = a ? archive_error_string(a) : nullptr;
    throw Error("archive" + (path.empty() ? std::string() : " " + path) + ": " + what +
                (reason ? std::string(": ") + reason : std::string()));
  }

  void check(int rc, const std::string& what) const {
    if (rc < ARCHIVE_WARN) fail(what);
  }

  static la_ssize_t write_cb(archive*, void* self, const void* buffer, std::size_t length) {
    auto* impl = static_cast<Impl*>(self);
    if (impl->file) {
      if (std::fwrite(buffer, 1, length, impl->file) != length) return -1;
    } else {
      impl->memory.append(static_cast<const char*>(buffer), length);
    }
    return static_cast<la_ssize_t>(length);
  }

  void open(ArchiveFormat format, Compression compression) {
    a = archive_write_new();
    if (!a) throw Error("cannot initialise libarchive");
    check(format == ArchiveFormat::kCpioNewc ? archive_write_set_format_cpio_newc(a)
                                             : archive_write_set_format_pax_restricted(a),
          "cannot select the format");
    switch (compression) {
      case Compression::kNone: break;
      case Compression::kGzip:
        check(archive_write_add_filter_gzip(a), "no gzip support in libarchive");
        // As gzip -9 -n: best compression, no time stamp in the header.
        check(archive_write_set_filter_option(a, "gzip", "compression-level", "9"), "gzip level");
        check(archive_write_set_filter_option(a, "gzip", "timestamp", nullptr), "gzip timestamp");
        break;
      case Compression::kXz:
        check(archive_write_add_filter_xz(a), "no xz support in libarchive");
        break;
    }
    // No padding of the last block: the archive ends where its data ends.
    check(archive_write_set_bytes_in_last_block(a, 1), "block size");
    check(archive_write_open2(a, this, nullptr, write_cb, nullptr, nullptr), "cannot open");
  }

  // A new entry with the fixed attributes of a reproducible archive.
  archive_entry* entry(std::string_view name, std::uint32_t mode) {
    archive_entry* e = archive_entry_new();
    if (!e) throw Error("out of memory");
    archive_entry_copy_pathname(e, std::string(name).c_str());
    archive_entry_set_mode(e, mode);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    archive_entry_set_mtime(e, 0, 0);
    archive_entry_set_ino64(e, next_inode++);
    archive_entry_set_nlink(e, (mode & S_IFMT) == S_IFDIR ? 2 : 1);
    return e;
  }

  void write(archive_entry* e, std::string_view data) {
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    int rc = archive_write_header(a, e);
    std::string name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    archive_entry_free(e);
    check(rc, "cannot add " + name);
    if (!data.empty() &&
        archive_write_data(a, data.data(), data.size()) != static_cast<la_ssize_t>(data.size())) {
      fail("cannot write " + name);
    }
  }
};

ArchiveWriter::ArchiveWriter(ArchiveFormat format, Compression compression)
    : impl_(std::make_unique<Impl>()) {
  impl_->open(format, compression);
}

ArchiveWriter::ArchiveWriter(ArchiveFormat format, Compression compression, const std::string& path)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->temp_path = path + ".tmp";
  impl_->file = std::fopen(impl_->temp_path.c_str(), "wb");
  if (!impl_->file) throw Error("cannot write " + impl_->temp_path);
  impl_->open(format, compression);
}

ArchiveWriter::~ArchiveWriter() = default;

void ArchiveWriter::add_directory(std::string_view path, std::uint32_t mode) {
  impl_->write(impl_->entry(path, S_IFDIR | mode), {});
}

void ArchiveWriter::add_file(std::string_view path, std::string_view data, std::uint32_t mode) {
  impl_->write(impl_->entry(path, S_IFREG | mode), data);
}

void ArchiveWriter::add_symlink(std::string_view path, std::string_view target) {
  archive_entry* e = impl_->entry(path, S_IFLNK | 0777);
  archive_entry_copy_symlink(e, std::string(target).c_str());
  // newc stores the target as the data; libarchive does that itself.
  impl_->write(e, {});
}

void ArchiveWriter::add_char_device(std::string_view path, std::uint32_t major, std::uint32_t minor,
                                    std::uint32_t mode) {
  archive_entry* e = impl_->entry(path, S_IFCHR | mode);
  archive_entry_set_rdevmajor(e, major);
  archive_entry_set_rdevminor(e, minor);
  impl_->write(e, {});
}

void ArchiveWriter::add_tree(const std::string& root, const std::string& relative) {
  fs::path top = fs::path(root) / relative;
  std::vector<std::string> names;  // relative to root
  names.push_back(relative);
  std::error_code ec;
  for (fs::recursive_directory_iterator it(top, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(fs::relative(it->path(), root).generic_string());
  }
  if (ec) impl_->fail("cannot list " + top.string() + ": " + ec.message());
  std::sort(names.begin(), names.end());
  std::vector<char> buffer(1 << 16);
  for (const std::string& name : names) {
    fs::path on_disk = fs::path(root) / name;
    struct stat st {};
    if (::lstat(on_disk.c_str(), &st) != 0) impl_->fail("cannot stat " + on_disk.string());
    archive_entry* e = impl_->entry(name, st.st_mode);
    archive_entry_set_mtime(e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    if (S_ISLNK(st.st_mode)) {
      archive_entry_copy_symlink(e, fs::read_symlink(on_disk).c_str());
      impl_->write(e, {});
    } else if (S_ISDIR(st.st_mode)) {
      impl_->write(e, {});
    } else if (S_ISREG(st.st_mode)) {
      std::ifstream in(on_disk, std::ios::binary);
      if (!in) {
        archive_entry_free(e);
        impl_->fail("cannot read " + on_disk.string());
      }
      archive_entry_set_size(e, static_cast<la_int64_t>(st.st_size));
      int rc = archive_write_header(impl_->a, e);
      archive_entry_free(e);
      impl_->check(rc, "cannot add " + name);
      std::int64_t left = st.st_size;
      while (left > 0 && in) {
        in.read(buffer.data(), static_cast<std::streamsize>(std::min<std::int64_t>(
                                   left, static_cast<std::int64_t>(buffer.size()))));
        std::streamsize n = in.gcount();
        if (n <= 0) break;
        if (archive_write_data(impl_->a, buffer.data(), static_cast<std::size_t>(n)) != n) {
          impl_->fail("cannot write " + name);
        }
        left -= n;
      }
      if (left != 0) impl_->fail(on_disk.string() + " changed while it was archived");
    } else {
      archive_entry_free(e);
      impl_->fail(on_disk.string() + " is not a file, directory or symbolic link");
    }
  }
}

std::string ArchiveWriter::finish() {
  impl_->check(archive_write_close(impl_->a), "cannot finish");
  if (impl_->file) {
    bool ok = std::fflush(impl_->file) == 0 && ::fsync(::fileno(impl_->file)) == 0;
    ok = std::fclose(impl_->file) == 0 && ok;
    impl_->file = nullptr;
    if (!ok) throw Error("cannot write " + impl_->temp_path);
    fs::rename(impl_->temp_path, impl_->path);
  }
  impl_->finished = true;
  return std::move(impl_->memory);
}

std::string gzip_compress(std::string_view data) {
  // libarchive's "raw" format: one entry's data, through the filter only.
  archive* a = archive_write_new();
  if (!a) throw Error("cannot initialise libarchive");
  std::string out;
  auto write_cb = [](archive*, void* self, const void* buffer, std::size_t length) -> la_ssize_t {
    static_cast<std::string*>(self)->append(static_cast<const char*>(buffer), length);
    return static_cast<la_ssize_t>(length);
  };
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "data");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
  bool ok = archive_write_set_format_raw(a) == ARCHIVE_OK &&
            archive_write_add_filter_gzip(a) == ARCHIVE_OK &&
            archive_write_set_filter_option(a, "gzip", "compression-level", "9") == ARCHIVE_OK &&
            archive_write_set_filter_option(a, "gzip", "timestamp", nullptr) == ARCHIVE_OK &&
            archive_write_set_bytes_in_last_block(a, 1) == ARCHIVE_OK &&
            archive_write_open2(a, &out, nullptr, write_cb, nullptr, nullptr) == ARCHIVE_OK &&
            archive_write_header(a, e) == ARCHIVE_OK &&
            (data.empty() || archive_write_data(a, data.data(), data.size()) ==
                                 static_cast<la_ssize_t>(data.size())) &&
            archive_write_close(a) == ARCHIVE_OK;
  std::string reason = archive_error_string(a) ? archive_error_string(a) : "";
  archive_entry_free(e);
  archive_write_free(a);
  if (!ok) throw Error("gzip (libarchive) failed: " + reason);
  return out;
}

}  // namespace kci
