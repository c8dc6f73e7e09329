// SPDX-License-Identifier: LGPL-2.1-or-later
// The local runtime with kci's kbuild over a ScriptedRunner (no make, no
// compiler) and a boot function that answers at once: verdicts, retries
// and the KCIDB objects of each outcome, then a whole `kci run` loop on it.
#include "orchestrator/local_executor.h"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <memory>

#include "orchestrator/orchestrator.h"
#include "orchestrator/scheduler.h"
#include "report/json.h"
#include "store/sql.h"
#include "store/store.h"
#include "util/file.h"
#include "util/scripted_runner.h"

namespace kci::orchestrator {

// config_fixture_test.cpp: this file includes the runtime seam, which
// cannot share a file with the configuration's header (platforms.h).
std::shared_ptr<const pipeline::PipelineConfig> load_config_for_test(const std::string& dir,
                                                                     const std::string& yaml);

namespace {

namespace fs = std::filesystem;

const char* kCompileError =
    "  CC      init/main.o\n"
    "/src/init/main.c:1650:16: error: 'x' undeclared (first use in this function)\n"
    "make: *** [Makefile:231: __sub-make] Error 2\n";

// A boot that returns the outcomes given, with a KCIDB test per outcome.
BootFunction boot_with(std::vector<std::pair<std::string, std::string>> outcomes,
                       bool finished = true) {
  return [outcomes, finished](const pipeline::RuntimeJob& job) {
    pipeline::RuntimeRun run;
    run.finished = finished;
    if (!finished) {
      run.reason = "lab queue full";
      return run;
    }
    std::string tests;
    int i = 0;
    for (const auto& [path, status] : outcomes) {
      run.outcomes.push_back({path, *report::parse_status(status), std::nullopt, "", "", ""});
      if (!tests.empty()) tests += ",";
      tests += R"({"id":"kci:t-)" + std::to_string(i++) + "-" + job.platform +
               R"(","origin":"kci","build_id":")" + job.build_id.value_or("kci:none") +
               R"(","path":")" + path + R"(","status":")" + status + R"("})";
    }
    std::string text = R"({"version":{"major":5,"minor":3},"tests":[)" + tests + "]}";
    json::Document doc;
    doc.Parse(text.c_str());
    run.report = report::from_json(doc);
    return run;
  };
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/kci-run-local-XXXXXX";
    if (mkdtemp(tmpl)) path_ = tmpl;
  }
  ~TempDir() {
    if (!path_.empty()) fs::remove_all(path_);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class LocalExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path();
    fs::create_directories(root_ + "/src");
    write_file_atomic(root_ + "/src/Makefile", "# a kernel tree\n");
    options_.artifacts_dir = root_ + "/store";
    options_.build_root = root_ + "/build";
    options_.make_jobs = 2;
    runner_.reply("git", {.exit_code = 128, .err = "fatal: not a git repository\n"});
    runner_.reply("gcc-12", {"--version"}, {.out = "gcc-12 (Debian 12.2.0-14) 12.2.0\n"});
    kbuild_.id = 7;
    kbuild_.kind = NodeKind::kKbuild;
    kbuild_.name = "kbuild-gcc-12-x86";
    kbuild_.timeout_seconds = 3600;
    kbuild_.data = {{"source_dir", root_ + "/src"}, {"tree", "mainline"},
                    {"branch", "master"},           {"arch", "x86_64"},
                    {"toolchain", "gcc-12"},        {"defconfig", "tinyconfig"}};
    job_.id = 8;
    job_.kind = NodeKind::kJob;
    job_.parent = 7;
    job_.name = "baseline-x86@qemu-x86_64";
    job_.data = {{"platform", "qemu-x86_64"}, {"plan", "baseline"}, {"boot_timeout", "60"}};
    parent_.data = {{"artifact_dir", root_ + "/store/x"}, {"build_id", "kci:b1"}};
  }

  std::string build_dir() const { return root_ + "/build/" + std::to_string(build_node_); }

  void configure_ok() {
    auto write_config = [this](const auto&, const auto&) {
      write_file_atomic(build_dir() + "/.config", "CONFIG_64BIT=y\n");
    };
    runner_.reply("make", {"tinyconfig"}, {.effect = write_config});
    runner_.reply("make", {"olddefconfig"}, {});
  }
  void kernel_ok() {
    runner_.reply("make", {"bzImage"},
                  {.out = "  Kernel: arch/x86/boot/bzImage is ready\n",
                   .effect = [this](const auto&, const auto&) {
                     fs::create_directories(build_dir() + "/arch/x86/boot");
                     write_file_atomic(build_dir() + "/arch/x86/boot/bzImage", "image");
                     write_file_atomic(build_dir() + "/System.map", "ffffffff81000000 T _text\n");
                     write_file_atomic(build_dir() + "/vmlinux", "elf");
                   }});
    const char* size =
        "   text    data     bss     dec     hex filename\n"
        "  100      20      30     150      96 vmlinux\n";
    runner_.reply("x86_64-linux-gnu-size", {.out = size});
    runner_.reply("size", {.out = size});
  }

  TempDir dir_;
  std::string root_;
  ScriptedRunner runner_;
  LocalExecutorOptions options_;
  Node kbuild_, job_, parent_;
  std::int64_t build_node_ = 7;  // the kbuild node whose build directory make writes
};

TEST_F(LocalExecutorTest, APassingBuildReportsItsCheckoutAndBuild) {
  configure_ok();
  kernel_ok();
  LocalExecutor executor(options_, runner_, boot_with({}));
  Outcome out = executor.run(kbuild_, Node{});
  EXPECT_EQ(out.result, NodeResult::kPass) << out.reason;
  EXPECT_FALSE(out.infrastructure_error);
  ASSERT_EQ(out.report.checkouts.size(), 1u);
  ASSERT_EQ(out.report.builds.size(), 1u);
  EXPECT_EQ(out.report.builds[0].status, "PASS");
  EXPECT_EQ(out.report.builds[0].architecture, "x86_64");
  EXPECT_EQ(out.data.at("build_id"), *out.report.builds[0].id);
  EXPECT_TRUE(fs::exists(out.data.at("artifact_dir") + "/bzImage"));
  // The node's own build directory.
  EXPECT_EQ(runner_.calls_of("make")[0].argv[1], "O=" + build_dir());
  EXPECT_TRUE(runner_.unmatched().empty());
}

TEST_F(LocalExecutorTest, ACompileErrorIsAResultNotARetry) {
  configure_ok();
  runner_.reply("make", {"bzImage"}, {.exit_code = 2, .out = kCompileError});
  LocalExecutor executor(options_, runner_, boot_with({}));
  Outcome out = executor.run(kbuild_, Node{});
  EXPECT_EQ(out.result, NodeResult::kFail);
  EXPECT_FALSE(out.infrastructure_error);
  EXPECT_NE(out.reason.find("undeclared"), std::string::npos);
  ASSERT_EQ(out.report.builds.size(), 1u);
  EXPECT_EQ(out.report.builds[0].status, "FAIL");
}

TEST_F(LocalExecutorTest, AMissingCompilerIsAnInfrastructureError) {
  runner_.missing("gcc-12");
  LocalExecutor executor(options_, runner_, boot_with({}));
  Outcome out = executor.run(kbuild_, Node{});
  EXPECT_EQ(out.result, NodeResult::kIncomplete);
  EXPECT_TRUE(out.infrastructure_error);
  EXPECT_EQ(out.report.builds[0].status, "ERROR");
}

TEST_F(LocalExecutorTest, AKbuildWithoutSourceIsRejected) {
  kbuild_.data.erase("source_dir");
  LocalExecutor executor(options_, runner_, boot_with({}));
  EXPECT_THROW(executor.run(kbuild_, Node{}), UsageError);
}

TEST_F(LocalExecutorTest, BootVerdicts) {
  struct Case {
    std::vector<std::pair<std::string, std::string>> outcomes;
    bool finished;
    NodeResult result;
    bool infrastructure;
  };
  std::vector<Case> cases = {
      {{{"baseline.login", "PASS"}, {"baseline.dmesg.crit", "PASS"}},
       true,
       NodeResult::kPass,
       false},
      {{{"baseline.login", "PASS"}, {"baseline.dmesg.crit", "FAIL"}},
       true,
       NodeResult::kFail,
       false},
      // A failure is the kernel's even when other tests did not run.
      {{{"baseline.login", "FAIL"}, {"baseline.dmesg.crit", "MISS"}},
       true,
       NodeResult::kFail,
       false},
      {{{"baseline.login", "PASS"}, {"baseline.kunit", "MISS"}}, true, NodeResult::kPass, false},
      {{{"baseline.login", "ERROR"}, {"baseline.dmesg.crit", "MISS"}},
       true,
       NodeResult::kIncomplete,
       true},
      {{}, false, NodeResult::kIncomplete, true},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    LocalExecutor executor(options_, runner_, boot_with(cases[i].outcomes, cases[i].finished));
    Outcome out = executor.run(job_, parent_);
    EXPECT_EQ(out.result, cases[i].result) << "case " << i;
    EXPECT_EQ(out.infrastructure_error, cases[i].infrastructure) << "case " << i;
    EXPECT_EQ(out.tests.size(), cases[i].outcomes.size()) << "case " << i;
    EXPECT_EQ(out.report.tests.size(), cases[i].outcomes.size()) << "case " << i;
    if (!out.report.tests.empty()) {
      EXPECT_EQ(out.report.tests[0].build_id, "kci:b1");
    }
  }
}

// The whole loop on the local runtime: the scheduler, a scripted build, a
// boot, the results in the store.
TEST_F(LocalExecutorTest, RunsACheckoutToItsBoot) {
  build_node_ = 2;  // after the checkout
  configure_ok();
  kernel_ok();
  std::string yaml = R"(
trees:
  mainline: {url: 'https://git.example.org/mainline.git'}
build_environments:
  gcc-12: {cc: gcc, cc_version: 12}
build_configs:
  mainline: {tree: mainline, branch: master}
runtimes:
  local: {lab_type: shell}
jobs:
  kbuild-gcc-12-x86:
    kind: kbuild
    params: {arch: x86_64, compiler: gcc-12, defconfig: tinyconfig}
  baseline-x86: {kind: job}
scheduler:
  - job: kbuild-gcc-12-x86
    event: {channel: node, kind: checkout, state: available}
    runtime: {name: local}
  - job: baseline-x86
    event: {channel: node, kind: kbuild, name: kbuild-gcc-12-x86, state: done, result: pass}
    runtime: {name: local}
    platforms: [qemu-x86_64]
)";
  std::shared_ptr<const pipeline::PipelineConfig> config = load_config_for_test(root_, yaml);
  store::DatabaseSpec spec = store::parse_database_spec("sqlite:" + root_ + "/kci.sqlite");
  store::open_store(spec)->init();
  auto sql = store::SqlConnection::open(spec);
  NodeStore::migrate(*sql);
  NodeStore nodes(*sql);
  submit_checkout(nodes, "mainline", "master", "abc", {{"source_dir", root_ + "/src"}});
  LocalExecutor executor(options_, runner_, boot_with({{"baseline.login", "PASS"}}));
  OrchestratorOptions o;
  o.database = spec;
  o.workers = 1;  // the ScriptedRunner is not thread-safe
  o.retry_holdoff = std::chrono::milliseconds(0);
  o.poll = std::chrono::milliseconds(5);
  RunSummary s = Orchestrator(*config, executor, o).run();
  EXPECT_EQ(s.executed, 2);
  EXPECT_EQ(s.load_errors, 0);
  std::int64_t tests = 0;
  std::string build_id;
  sql->exec("SELECT COUNT(*) FROM tests", {},
            [&](const store::SqlRow& r) { tests = r.integer(0); });
  sql->exec("SELECT id FROM builds", {}, [&](const store::SqlRow& r) { build_id = r.text(0); });
  EXPECT_EQ(tests, 1);
  // The boot was given the build's id and artifacts.
  std::vector<Node> jobs = nodes.list(std::nullopt, NodeKind::kJob);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].get("build_id"), build_id);
  EXPECT_EQ(jobs[0].result, NodeResult::kPass);
  std::int64_t test_build = 0;
  sql->exec("SELECT COUNT(*) FROM tests WHERE build_id = $1", {build_id},
            [&](const store::SqlRow& r) { test_build = r.integer(0); });
  EXPECT_EQ(test_build, 1);
}

TEST(MergeEvents, UnitesSortedAndUnique) {
  ingest::ObjectsChanged a, b;
  a.sequence = 1;
  a.builds = {"o:b2", "o:b1"};
  a.tests = {"o:t1"};
  b.sequence = 2;
  b.builds = {"o:b1", "o:b3"};
  b.issues = {{"o:i", 1}};
  ingest::ObjectsChanged m = merge_events({a, b});
  EXPECT_EQ(m.builds, (std::vector<std::string>{"o:b1", "o:b2", "o:b3"}));
  EXPECT_EQ(m.tests, (std::vector<std::string>{"o:t1"}));
  EXPECT_EQ(m.issues.size(), 1u);
  EXPECT_EQ(m.sequence, 2u);
}

}  // namespace
}  // namespace kci::orchestrator
