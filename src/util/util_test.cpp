// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "util/archive.h"
#include "util/file.h"
#include "util/log.h"
#include "util/sha256.h"
#include "util/subprocess.h"
#include "util/text.h"
#include "util/time.h"

namespace kci {
namespace {

TEST(Text, PercentEncodeKeepsLettersDigitsAndTheGivenCharacters) {
  EXPECT_EQ(percent_encode("a-b_c.d/e f~%\xc3\xa9", "/-_.~"), "a-b_c.d/e%20f~%25%C3%A9");
  EXPECT_EQ(percent_encode("qemu x86/64", "-_."), "qemu%20x86%2F64");
}

TEST(Text, PercentDecode) {
  EXPECT_EQ(percent_decode("a%20b%2fc%2F%C3%A9"), "a b/c/\xc3\xa9");
  EXPECT_EQ(percent_decode("100%"), "100%");
  EXPECT_EQ(percent_decode("%4"), "%4");
  EXPECT_EQ(percent_decode("%zz%41"), "%zzA");
  EXPECT_EQ(percent_decode("%41"), "A");
  std::string any = "a-b_c.d/e f~%\xc3\xa9";
  EXPECT_EQ(percent_decode(percent_encode(any, "/-_.~")), any);
}

TEST(Sha256, KnownVector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(random_hex(16).size(), 32u);
}

TEST(Rfc3339, RoundTripAndRejects) {
  auto t = parse_rfc3339("2020-08-14T23:08:06.967000+00:00");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_rfc3339(*t), "2020-08-14T23:08:06.967000+00:00");
  auto shifted = parse_rfc3339("2020-08-15T01:08:06.967+02:00");
  ASSERT_TRUE(shifted);
  EXPECT_EQ(*shifted, *t);
  EXPECT_FALSE(parse_rfc3339("2020-08-14T23:08:06"));  // no timezone
  EXPECT_FALSE(parse_rfc3339("yesterday"));
  EXPECT_FALSE(parse_rfc3339("2020-13-14T23:08:06Z"));
}

// The one parser is strict where the three it replaced disagreed.
TEST(Rfc3339, StrictCalendar) {
  EXPECT_TRUE(parse_rfc3339_micros("2020-02-29T00:00:00Z"));
  EXPECT_TRUE(parse_rfc3339_micros("2000-02-29t00:00:00z"));
  EXPECT_TRUE(parse_rfc3339_micros("2020-01-01 00:00:00+05:30"));  // RFC 3339 5.6 NOTE
  for (const char* bad :
       {"2019-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2020-02-31T00:00:00Z",
        "2020-04-31T00:00:00Z", "2020-01-32T00:00:00Z", "2020-00-01T00:00:00Z",
        "0000-01-01T00:00:00Z", "2020-01-01T24:00:00Z", "2020-01-01T00:60:00Z",
        "2020-01-01T00:00:60Z", "2020-01-01T00:00:00.Z", "2020-01-01T00:00:00+24:00",
        "2020-01-01T00:00:00+01:60", "2020-01-01T00:00:00+0100", "2020-01-01T00:00:00Z\n",
        "2020-01-01X00:00:00Z", "2020-1-01T00:00:00Z", ""}) {
    EXPECT_FALSE(parse_rfc3339_micros(bad)) << bad;
  }
}

TEST(Rfc3339, FractionsAndFarYears) {
  auto t = parse_rfc3339_micros("2020-02-29T23:30:00.1234567-01:00");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_rfc3339(*t), "2020-03-01T00:30:00.123456+00:00");
  auto far = parse_rfc3339_micros("9999-12-31T23:00:00-02:00");
  ASSERT_TRUE(far);
  EXPECT_EQ(format_rfc3339(*far), "10000-01-01T01:00:00.000000+00:00");
  EXPECT_FALSE(parse_rfc3339("9999-12-31T23:00:00Z"));  // beyond SystemTime
  auto early = parse_rfc3339_micros("0001-01-01T00:00:00+01:00");
  ASSERT_TRUE(early);
  EXPECT_EQ(format_rfc3339(*early), "0000-12-31T23:00:00.000000+00:00");
  auto before_epoch = parse_rfc3339_micros("1969-12-31T23:59:59.5Z");
  ASSERT_TRUE(before_epoch);
  EXPECT_EQ(format_rfc3339(*before_epoch), "1969-12-31T23:59:59.500000+00:00");
}

TEST(Text, SplitLinesStripsOrKeepsCarriageReturns) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(split_lines("a\r\nb\n\nc"), (V{"a", "b", "", "c"}));
  EXPECT_EQ(split_lines("a\r\nb\n", LineEnd::kKeepCr), (V{"a\r", "b"}));
  EXPECT_EQ(split_lines(""), V{});
}

TEST(Text, ShellQuote) {
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("CC=ccache gcc"), "'CC=ccache gcc'");
  EXPECT_EQ(shell_quote("ARCH=arm64"), "ARCH=arm64");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("$(rm -rf /)"), "'$(rm -rf /)'");
  // What sh makes of the quoted words is the words themselves.
  std::string word = "a 'b' \"c\" $d `e` \\f";
  EXPECT_EQ(run_checked({"sh", "-c", "printf %s " + shell_quote(word)}), word);
}

TEST(Archive, GzipIsReproducibleAndReadableByGzip) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data += "line " + std::to_string(i) + "\n";
  std::string a = gzip_compress(data);
  EXPECT_EQ(a, gzip_compress(data));
  ASSERT_GT(a.size(), 10u);
  EXPECT_EQ(a.substr(0, 2), "\x1f\x8b");
  EXPECT_EQ(a.substr(4, 4), std::string(4, '\0'));  // no time stamp (gzip -n)
  EXPECT_LT(a.size(), data.size() / 2);
  RunOptions unzip;
  unzip.stdin_data = a;
  RunResult r = run_process({"gzip", "-dc"}, unzip);
  ASSERT_TRUE(r.ok()) << r.err;
  EXPECT_EQ(r.out, data);
  EXPECT_EQ(run_process({"gzip", "-dc"},
                        [] {
                          RunOptions o;
                          o.stdin_data = gzip_compress("");
                          return o;
                        }())
                .out,
            "");
}

// A tree written as tar.xz, read back by tar(1): names, contents, modes,
// symbolic links, root ownership, order.
TEST(Archive, TarXzOfATree) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("kci-archive-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "root" / "lib" / "modules" / "6.1" / "kernel");
  write_file_atomic((dir / "root/lib/modules/6.1/kernel/a.ko").string(), std::string(200000, 'x'));
  write_file_atomic((dir / "root/lib/modules/6.1/modules.dep").string(), "a.ko:\n");
  fs::permissions(dir / "root/lib/modules/6.1/modules.dep", fs::perms(0640));
  fs::create_symlink("/usr/src/linux", dir / "root/lib/modules/6.1/build");
  write_file_atomic((dir / "root/outside").string(), "not archived");
  std::string tarball = (dir / "modules.tar.xz").string();
  ArchiveWriter w(ArchiveFormat::kTarPax, Compression::kXz, tarball);
  w.add_tree((dir / "root").string(), "lib");
  EXPECT_EQ(w.finish(), "");
  EXPECT_FALSE(fs::exists(tarball + ".tmp"));
  RunResult list = run_process({"tar", "-tvJf", tarball, "--numeric-owner"});
  ASSERT_TRUE(list.ok()) << list.err;
  std::vector<std::string> names;
  for (std::string_view line : split_lines(list.out)) {
    EXPECT_NE(line.find(" 0/0 "), std::string_view::npos) << line;
    names.emplace_back(line.substr(line.rfind(' ') + 1));
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"lib/", "lib/modules/", "lib/modules/6.1/", "/usr/src/linux",
                                      "lib/modules/6.1/kernel/", "lib/modules/6.1/kernel/a.ko",
                                      "lib/modules/6.1/modules.dep"}));
  std::string_view dep = split_lines(list.out).back();
  EXPECT_EQ(dep.substr(0, 15), "-rw-r----- 0/0 ") << dep;
  EXPECT_NE(list.out.find("lib/modules/6.1/build -> /usr/src/linux"), std::string::npos);
  fs::create_directories(dir / "out");
  ASSERT_TRUE(run_process({"tar", "-xJf", tarball, "-C", (dir / "out").string()}).ok());
  EXPECT_EQ(read_file((dir / "out/lib/modules/6.1/kernel/a.ko").string()),
            std::string(200000, 'x'));
  fs::remove_all(dir);
}

TEST(Archive, ErrorsNameTheFile) {
  ArchiveWriter w(ArchiveFormat::kTarPax, Compression::kNone);
  try {
    w.add_tree("/nonexistent-kci-dir", "lib");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-kci-dir/lib"), std::string::npos)
        << e.what();
  }
}

// A file the user named that cannot be read is bad input (exit 1), and the
// message names the file and the system's reason; kci's own files keep
// FileError (exit 3).
TEST(File, InputFileErrorsNameTheFileAndTheReason) {
  auto message_of = [](const std::string& path, std::size_t max) -> std::string {
    try {
      read_input_file(path, max);
    } catch (const InputFileError& e) {
      return e.what();
    }
    return "no InputFileError";
  };
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("kci-input-file-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string missing = (dir / "missing.json").string();
  EXPECT_EQ(message_of(missing, SIZE_MAX), missing + ": cannot open: No such file or directory");
  EXPECT_EQ(message_of(dir.string(), SIZE_MAX), dir.string() + ": cannot open: Is a directory");
  // The streaming commands' door (kci logs scan) says the same.
  auto open_message_of = [](const std::string& path) -> std::string {
    try {
      std::fclose(open_input_file(path));
    } catch (const InputFileError& e) {
      return e.what();
    }
    return "no InputFileError";
  };
  EXPECT_EQ(open_message_of(missing), missing + ": cannot open: No such file or directory");
  EXPECT_EQ(open_message_of(dir.string()), dir.string() + ": cannot open: Is a directory");
  std::string big = (dir / "big.json").string();
  write_file_atomic(big, "0123456789");
  EXPECT_EQ(read_input_file(big, 10), "0123456789");
  EXPECT_EQ(message_of(big, 9), big + ": input larger than the limit of 9 bytes");
  EXPECT_EQ(open_message_of(big), "no InputFileError");
  // read_file's errors are not bad input.
  EXPECT_THROW(read_file(missing), FileError);
  try {
    read_file(missing);
  } catch (const InvalidInputError&) {
    ADD_FAILURE() << "read_file's error is not InvalidInputError";
  } catch (const FileError&) {
  }
  std::filesystem::remove_all(dir);
}

TEST(Log, SinkAndLevels) {
  std::vector<std::pair<log::Level, std::string>> seen;
  {
    log::ScopedSink sink([&](log::Level l, std::string_view m) { seen.emplace_back(l, m); });
    log::info("one");
    log::debug("hidden at the default level");
    log::set_level(log::Level::kDebug);
    log::debug("two");
    log::set_level(log::Level::kError);
    log::warn("hidden");
    log::error("three");
    log::set_level(log::Level::kInfo);
  }
  log::info("to stderr, not to the sink");
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].first, log::Level::kInfo);
  EXPECT_EQ(seen[1].second, "two");
  EXPECT_EQ(seen[2].first, log::Level::kError);
  EXPECT_EQ(log::level_name(seen[2].first), "error");
}

TEST(Subprocess, CapturesOutputAndStatus) {
  RunResult r = run_process({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  RunOptions feed;
  feed.stdin_data = "hello\n";
  EXPECT_EQ(run_checked({"cat"}, feed), "hello");
}

TEST(Subprocess, TimeoutKillsTheWholeGroup) {
  RunOptions o;
  o.timeout = std::chrono::milliseconds(300);
  RunResult r = run_process({"sh", "-c", "sleep 30 & sleep 30"}, o);
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(r.elapsed.count(), 5000);
}

TEST(Subprocess, OnOutputCanStop) {
  RunOptions o;
  o.on_output = [](std::string_view chunk) { return chunk.find("STOP") == std::string_view::npos; };
  RunResult r = run_process({"sh", "-c", "echo STOP; sleep 30"}, o);
  EXPECT_TRUE(r.stopped);
  EXPECT_FALSE(r.ok());
}

TEST(Subprocess, MissingProgramIsSpawnError) {
  EXPECT_THROW(run_process({"kci-no-such-program"}), SpawnError);
}

}  // namespace
}  // namespace kci
