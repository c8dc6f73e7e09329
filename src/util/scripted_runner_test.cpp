// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/scripted_runner.h"

#include <gtest/gtest.h>

namespace kci {
namespace {

TEST(ScriptedRunner, MatchesProgramAndWordsInOrderAndRecords) {
  ScriptedRunner runner;
  runner.reply("make", {"bzImage"}, {.exit_code = 2, .out = "error: x\n"})
      .reply("make", {.out = "ok\n"});
  RunOptions options;
  options.cwd = "/src";
  options.env = {{"LC_ALL", "C"}};
  RunResult a = runner.run({"make", "O=/b", "-j2", "bzImage"}, options);
  RunResult b = runner.run({"/usr/bin/make", "tinyconfig"}, {});
  EXPECT_EQ(a.exit_code, 2);
  EXPECT_EQ(a.out, "error: x\n");
  EXPECT_FALSE(a.ok());
  EXPECT_EQ(b.out, "ok\n");
  EXPECT_TRUE(b.ok());
  ASSERT_EQ(runner.calls().size(), 2u);
  EXPECT_EQ(runner.calls()[0].cwd, "/src");
  EXPECT_EQ(runner.calls()[0].env.at("LC_ALL"), "C");
  EXPECT_EQ(runner.calls()[1].argv[1], "tinyconfig");
  EXPECT_TRUE(runner.unmatched().empty());
}

TEST(ScriptedRunner, UnmatchedExits127AndIsListed) {
  ScriptedRunner runner;
  RunResult r = runner.run({"git", "status"}, {});
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_NE(r.err.find("no reply for git status"), std::string::npos);
  ASSERT_EQ(runner.unmatched().size(), 1u);
  EXPECT_EQ(runner.unmatched()[0][0], "git");
}

TEST(ScriptedRunner, MissingProgramThrowsSpawnError) {
  ScriptedRunner runner;
  runner.missing("qemu-system-x86_64");
  EXPECT_FALSE(runner.exists("qemu-system-x86_64"));
  EXPECT_TRUE(runner.exists("make"));
  EXPECT_THROW(runner.run({"qemu-system-x86_64"}, {}), SpawnError);
  EXPECT_EQ(runner.calls().size(), 1u);
}

TEST(ScriptedRunner, OutputIsFedInLinesAndCanBeStopped) {
  ScriptedRunner runner;
  runner.reply("qemu", {.out = "a\nb\nPANIC\nc\n"});
  RunOptions options;
  std::vector<std::string> seen;
  options.on_output = [&](std::string_view chunk) {
    seen.emplace_back(chunk);
    return chunk != "PANIC\n";
  };
  RunResult r = runner.run({"qemu"}, options);
  EXPECT_EQ(seen, (std::vector<std::string>{"a\n", "b\n", "PANIC\n"}));
  EXPECT_TRUE(r.stopped);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.out, "a\nb\nPANIC\n");
}

TEST(ScriptedRunner, TimeoutSignalMergeAndEffect) {
  ScriptedRunner runner;
  int effects = 0;
  runner.reply("sleep", {.timed_out = true, .out = "x\n"})
      .reply("kill", {.signal = 9})
      .reply("cc", {.exit_code = 1,
                    .out = "o\n",
                    .err = "e\n",
                    .effect = [&](const auto&, const auto&) { ++effects; },
                    .once = true});
  RunResult t = runner.run({"sleep", "9"}, {});
  EXPECT_TRUE(t.timed_out);
  EXPECT_EQ(t.exit_code, -1);
  RunResult k = runner.run({"kill"}, {});
  EXPECT_EQ(k.signal, 9);
  EXPECT_EQ(k.exit_code, -1);
  RunOptions merged;
  merged.merge_stderr = true;
  RunResult c = runner.run({"cc"}, merged);
  EXPECT_EQ(c.out, "o\ne\n");
  EXPECT_EQ(c.err, "");
  EXPECT_EQ(effects, 1);
  // once: the second cc has no reply left.
  EXPECT_EQ(runner.run({"cc"}, {}).exit_code, 127);
}

}  // namespace
}  // namespace kci
