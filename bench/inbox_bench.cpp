// SPDX-License-Identifier: LGPL-2.1-or-later
// Mailing-list figures (docs/performance.md, "Mailing lists"); run by hand:
//   nice build/bench/inbox_bench [--messages N] [--new N] [--dir DIR]
// (--dir: keep the archive there and reuse it on the next run)
// 1. generates a public-inbox v2 archive of N messages (default 100,000;
//    two epochs) with git fast-import: series of 1 to 8 patches with cover
//    letters, replies with trailers, discussion and bot mail;
// 2. a cold scan: every commit read (git log --raw + git cat-file --batch),
//    headers parsed, patch-related messages kept, series assembled;
// 3. an incremental poll after --new messages (default 1,000) were added:
//    only the new commits are read.
#include <sys/resource.h>

#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_util.h"
#include "inbox/archive.h"
#include "inbox/archive_writer.h"
#include "inbox/series.h"

using namespace kci::inbox;
using namespace kci::bench;

namespace {

// CPU seconds of this process and its waited-for children (git).
double cpu_seconds() {
  double total = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage u{};
    ::getrusage(who, &u);
    total += static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
             static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  }
  return total;
}

const char* kDiff =
    "diff --git a/drivers/net/foo.c b/drivers/net/foo.c\n"
    "index 72b3c29..9d49dc4 100644\n"
    "--- a/drivers/net/foo.c\n"
    "+++ b/drivers/net/foo.c\n"
    "@@ -10,7 +10,7 @@ static int foo_probe(struct device *dev)\n"
    " {\n"
    " \tstruct foo_priv *priv = dev_get_drvdata(dev);\n"
    " \n"
    "-\treturn foo_setup(priv, 0);\n"
    "+\treturn foo_setup(priv, FOO_DEFAULT_FLAGS);\n"
    " }\n"
    " \n"
    " static const struct of_device_id foo_of_match[] = {\n";

std::string message(std::size_t n, const std::string& subject, const std::string& in_reply_to,
                    const std::string& body, const std::string& extra = {}) {
  std::string m =
      "From: Dev " + std::to_string(n % 97) + " <dev" + std::to_string(n % 97) + "@example.org>\n";
  m += "To: netdev@vger.example.org\nCc: maint@example.org, reviewer@example.org\n";
  m += "Subject: " + subject + "\n";
  m += "Date: Mon, 7 Dec 2026 01:" + std::to_string(10 + n % 50) + ":00 +0000\n";
  m += "Message-ID: <" + std::to_string(n) + "@bench.example.org>\n";
  if (!in_reply_to.empty()) {
    m += "In-Reply-To: <" + in_reply_to + ">\nReferences: <" + in_reply_to + ">\n";
  }
  m += extra;
  m += "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\n";
  m += body;
  return m;
}

// Mail as a busy list carries it: about a third patches and cover letters,
// the rest replies, discussion and bots.
std::vector<std::string> generate(std::size_t first, std::size_t count) {
  std::vector<std::string> out;
  out.reserve(count);
  std::size_t n = first;
  std::string filler;
  for (int i = 0; i < 12; ++i) {
    filler += "This line stands for the explanation a change carries in its message.\n";
  }
  while (out.size() < count) {
    std::size_t parts = 1 + n % 8;
    std::string cover = std::to_string(n) + "@bench.example.org";
    std::string title = "net: foo: change " + std::to_string(n);
    out.push_back(message(n++, "[PATCH net-next v2 0/" + std::to_string(parts) + "] " + title, "",
                          filler + "\nbase-commit: 8714c550d713985dc7e1ee445e5dc699a4178995\n"));
    for (std::size_t p = 1; p <= parts && out.size() < count; ++p) {
      out.push_back(message(n++,
                            "[PATCH net-next v2 " + std::to_string(p) + "/" +
                                std::to_string(parts) + "] " + title + " part " + std::to_string(p),
                            cover,
                            filler + "\nSigned-off-by: Dev <dev@example.org>\n---\n" + kDiff));
    }
    for (int r = 0; r < 4 && out.size() < count; ++r) {
      out.push_back(message(
          n++, "Re: [PATCH net-next v2 0/" + std::to_string(parts) + "] " + title, cover,
          "> quoted\n\n" + filler + (r == 0 ? "\nReviewed-by: Rev <rev@example.org>\n" : "")));
    }
    for (int d = 0; d < 6 && out.size() < count; ++d) {
      std::string question = "Question about foo " + std::to_string(n);
      out.push_back(
          message(n++, question, "", filler, d == 5 ? "Auto-Submitted: auto-generated\n" : ""));
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t total = 100000;
  std::size_t fresh = 1000;
  std::string dir;
  CLI::App app{
      "Mailing lists: a public-inbox archive scanned cold, then polled "
      "(docs/performance.md, \"Mailing lists\")"};
  app.add_option("--messages", total, "Messages in the generated archive")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--new", fresh, "Messages added before the incremental poll")
      ->capture_default_str();
  app.add_option("--dir", dir, "Keep the archive there and reuse it on the next run");
  parse_args(app, argc, argv);
  bool own_dir = dir.empty();
  if (own_dir) {
    dir =
        (std::filesystem::temp_directory_path() / ("kci-inbox-bench-" + std::to_string(::getpid())))
            .string();
  }
  ArchiveWriteOptions options;
  options.messages_per_epoch = total / 2 + 1;

  auto t = Clock::now();
  if (std::filesystem::exists(dir + "/git/0.git")) {
    std::printf("reusing the archive in %s (its incremental part grows each run)\n", dir.c_str());
  } else {
    std::vector<std::string> messages = generate(0, total);
    std::size_t bytes = 0;
    for (const std::string& m : messages) bytes += m.size();
    append_to_archive(dir, messages, options);
    std::printf("generate: %zu messages (%.1f MB) written with git fast-import in %.1f s\n", total,
                static_cast<double>(bytes) / 1e6, seconds_since(t));
  }

  // Cold scan.
  Archive archive = Archive::open(dir);
  Cursor cursor;
  std::vector<Message> kept;
  double cpu0 = cpu_seconds();
  t = Clock::now();
  ReadStats stats = archive.read_new(cursor, [&](Message&& m) {
    if (worth_keeping(m)) kept.push_back(std::move(m));
  });
  double read_s = seconds_since(t);
  auto t2 = Clock::now();
  Assembly assembly = assemble(kept);
  double assemble_s = seconds_since(t2);
  double cold = read_s + assemble_s;
  double cold_cpu = cpu_seconds() - cpu0;
  std::printf(
      "cold scan: %zu messages in %zu epochs: read %.2f s + assemble %.2f s = %.2f s, %.0f "
      "messages/s (%zu kept, %zu series); CPU (kci + git) %.2f s, %.0f messages per CPU-second\n",
      stats.messages, archive.epochs().size(), read_s, assemble_s, cold,
      static_cast<double>(stats.messages) / cold, kept.size(), assembly.series.size(), cold_cpu,
      static_cast<double>(stats.messages) / cold_cpu);

  // Incremental poll.
  append_to_archive(dir, generate(total, fresh), options);
  Archive again = Archive::open(dir);
  std::size_t n = 0;
  t = Clock::now();
  ReadStats inc = again.read_new(cursor, [&](Message&&) { ++n; });
  double inc_s = seconds_since(t);
  std::printf("incremental poll: %zu new commits read (of %zu) in %.3f s, %.0f messages/s\n",
              inc.commits, total + fresh, inc_s, static_cast<double>(n) / inc_s);
  t = Clock::now();
  ReadStats none = again.read_new(cursor, [](Message&&) {});
  std::printf("poll with nothing new: %zu commits read in %.3f s\n", none.commits,
              seconds_since(t));

  if (own_dir) std::filesystem::remove_all(dir);
  return 0;
}
