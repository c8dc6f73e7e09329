// SPDX-License-Identifier: LGPL-2.1-or-later
#include "generator.h"

#include <array>
#include <chrono>
#include <random>
#include <string>

#include "util/time.h"

namespace kci::webtest {

namespace {

struct Branch {
  const char* origin;
  const char* tree;
  const char* url;
  const char* branch;
  const char* describe_base;
};

constexpr std::array<Branch, 8> kBranches = {{
    {"maestro", "mainline", "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git",
     "master", "v6.13-rc1"},
    {"maestro", "next", "https://git.kernel.org/pub/scm/linux/kernel/git/next/linux-next.git",
     "master", "next-20261201"},
    {"maestro", "stable", "https://git.kernel.org/pub/scm/linux/kernel/git/stable/linux.git",
     "linux-6.6.y", "v6.6.64"},
    {"broonie", "broonie-sound",
     "https://git.kernel.org/pub/scm/linux/kernel/git/broonie/sound.git", "for-next", "asoc-v6.13"},
    {"redhat", "mainline", "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git",
     "master", "v6.13-rc1"},
    {"maestro", "android", "https://android.googlesource.com/kernel/common", "android-mainline",
     "android-6.12"},
    {"linaro", "lkft", "https://git.linaro.org/kernel/lkft.git", "main", "lkft-6.12"},
    {"maestro", "chromeos", "https://chromium.googlesource.com/chromiumos/third_party/kernel",
     "chromeos-6.6", "cros-6.6"},
}};

struct Config {
  const char* arch;
  const char* config;
  const char* compiler;
  std::array<const char*, 2> platforms;
  std::array<const char*, 2> labs;
};

constexpr std::array<Config, 5> kConfigs = {{
    {"x86_64",
     "x86_64_defconfig",
     "gcc-12",
     {"qemu-x86_64", "hp-x360-14-G1-sona"},
     {"lab-collabora", "lab-collabora"}},
    {"arm64",
     "defconfig",
     "gcc-12",
     {"rk3399-rock-pi-4b", "juno-r2"},
     {"lab-collabora", "lab-broonie"}},
    {"arm64",
     "defconfig",
     "clang-17",
     {"qemu-arm64", "meson-g12b-a311d-khadas-vim3"},
     {"kci-qemu", "lab-baylibre"}},
    {"arm",
     "multi_v7_defconfig",
     "gcc-12",
     {"bcm2836-rpi-2-b", "imx6q-sabrelite"},
     {"lab-broonie", "lab-pengutronix"}},
    {"riscv",
     "defconfig",
     "gcc-12",
     {"qemu-riscv64", "sun20i-d1-nezha"},
     {"kci-qemu", "lab-clabbe"}},
}};

constexpr std::array<const char*, 12> kPaths = {
    "baseline.login",
    "baseline.dmesg.emerg",
    "baseline.dmesg.alert",
    "baseline.dmesg.crit",
    "kselftest.timers.rtcpie",
    "kselftest.timers.posix_timers",
    "kselftest.net.tcp_fastopen",
    "kselftest.cpufreq.main",
    "ltp.syscalls.openat01",
    "ltp.syscalls.clone302",
    "kunit.kasan.kmalloc_oob",
    "kunit.list.list_add",
};

const char* plan_of(const std::string& path) {
  if (path.starts_with("baseline")) return "baseline";
  if (path.starts_with("kselftest.timers")) return "kselftest-timers";
  if (path.starts_with("kselftest")) return "kselftest";
  if (path.starts_with("ltp")) return "ltp-syscalls";
  return "kunit";
}

std::string hex(std::mt19937& rng, int digits) {
  static const char* const kHex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < digits; ++i) s += kHex[rng() % 16];
  return s;
}

}  // namespace

std::size_t generate(const GeneratorOptions& options,
                     const std::function<void(report::Report&)>& sink) {
  std::mt19937 rng(options.seed);
  std::size_t tests = 0;
  auto now = options.now.value_or(std::chrono::system_clock::now());
  int branches = std::min<int>(options.branches, static_cast<int>(kBranches.size()));
  int paths = std::min<int>(options.tests_per_platform, static_cast<int>(kPaths.size()));
  // Beyond the named paths, numbered kselftest cases.
  int extra = options.tests_per_platform - paths;
  for (int b = 0; b < branches; ++b) {
    const Branch& br = kBranches[static_cast<std::size_t>(b)];
    for (int c = 0; c < options.checkouts_per_branch; ++c) {
      int age = options.checkouts_per_branch - 1 - c;  // days; the last is today
      report::Report r;
      report::Checkout co;
      std::string commit = hex(rng, 40);
      std::string cid = std::string(br.origin) + ":" + br.tree + "-" + br.branch + "-" +
                        std::to_string(c) + "-" + commit.substr(0, 8);
      co.id = cid;
      co.origin = br.origin;
      co.tree_name = br.tree;
      co.git_repository_url = br.url;
      co.git_repository_branch = br.branch;
      co.git_commit_hash = commit;
      co.git_commit_name = std::string(br.describe_base) + "-" + std::to_string(c * 7 + 3) + "-g" +
                           commit.substr(0, 12);
      auto start = now - std::chrono::hours(24 * age) - std::chrono::minutes(30 + b * 7);
      co.start_time = format_rfc3339(start);
      co.valid = true;
      co.misc = R"({"submitted_by":"kci-generator"})";
      r.checkouts.push_back(co);
      if (c == 0) {
        report::Issue issue;
        issue.id = std::string(br.origin) + ":null-ptr-deref-" + br.tree;
        issue.version = 1;
        issue.origin = br.origin;
        issue.report_subject = "BUG: kernel NULL pointer dereference in dmesg_alert_probe";
        issue.report_url = "https://lore.kernel.org/all/20261201.kci@example.org/";
        issue.culprit_code = true;
        issue.categories = std::vector<std::string>{"kernel", "null-pointer"};
        r.issues.push_back(issue);
      }
      bool regressed = c >= options.checkouts_per_branch - 3;
      for (std::size_t k = 0; k < kConfigs.size(); ++k) {
        const Config& cfg = kConfigs[k];
        report::Build bd;
        std::string bid = cid + ":" + cfg.arch + "-" + cfg.config + "-" + cfg.compiler;
        bd.id = bid;
        bd.checkout_id = cid;
        bd.origin = br.origin;
        bd.architecture = cfg.arch;
        bd.config_name = cfg.config;
        bd.compiler = cfg.compiler;
        bd.start_time = format_rfc3339(start + std::chrono::minutes(5));
        bd.duration = 300.0 + static_cast<double>(rng() % 900);
        // riscv clang-less gcc build breaks on one branch's newest checkout.
        bool build_fails = (k == 4 && b == 1 && c == options.checkouts_per_branch - 1);
        bd.status = build_fails ? "FAIL" : "PASS";
        bd.log_url = "https://storage.kernelci.example/" + std::string(br.tree) + "/" +
                     commit.substr(0, 12) + "/" + cfg.arch + "/" + cfg.config + "/build.log";
        bd.config_url = "https://storage.kernelci.example/" + std::string(br.tree) + "/" +
                        commit.substr(0, 12) + "/" + cfg.arch + "/" + cfg.config + "/.config";
        bd.output_files =
            R"([{"name":"bzImage","url":"https://storage.kernelci.example/)" +
            std::string(br.tree) + "/" + commit.substr(0, 12) + "/" + cfg.arch +
            R"(/kernel"},{"name":"modules.tar.xz","url":"https://storage.kernelci.example/)" +
            std::string(br.tree) + "/" + commit.substr(0, 12) + "/" + cfg.arch +
            R"(/modules.tar.xz"}])";
        if (build_fails)
          bd.log_excerpt = "arch/riscv/kernel/setup.c:42:1: error: expected ';' before '}' token";
        r.builds.push_back(bd);
        if (build_fails) continue;
        for (int p = 0; p < 2; ++p) {
          std::string platform = cfg.platforms[static_cast<std::size_t>(p)];
          std::string lab = cfg.labs[static_cast<std::size_t>(p)];
          for (int t = 0; t < paths + extra; ++t) {
            std::string path = t < paths ? kPaths[static_cast<std::size_t>(t)]
                                         : "kselftest.generated.case_" + std::to_string(t - paths);
            report::Test test;
            test.id = bid + ":" + platform + ":" + path;
            test.build_id = bid;
            test.origin = br.origin;
            test.path = path;
            test.start_time = format_rfc3339(start + std::chrono::minutes(30 + t));
            test.duration = static_cast<double>(rng() % 600) / 10.0;
            std::string status = "PASS";
            std::uint32_t roll = rng() % 1000;
            if (path == kRegressingPath && p == 0 && regressed)
              status = "FAIL";
            else if (path == kFlakyPath && p == 1)
              status = (c % 2) ? "FAIL" : "PASS";
            else if (roll < 15)
              status = "ERROR";
            else if (roll < 25)
              status = "FAIL";
            else if (roll < 60)
              status = "SKIP";
            test.status = status;
            test.environment_compatible = std::vector<std::string>{platform};
            test.environment_comment = platform + " in " + lab;
            test.misc = R"({"platform":")" + platform + R"(","lab":")" + lab + R"(","plan":")" +
                        plan_of(path) + R"(","runtime":"lava","lava_job_id":")" +
                        std::to_string(100000 + rng() % 900000) + "\"}";
            test.log_url = "https://storage.kernelci.example/" + std::string(br.tree) + "/" +
                           commit.substr(0, 12) + "/" + cfg.arch + "/" + platform + "/" +
                           plan_of(path) + ".log";
            test.output_files = R"([{"name":"lava-log.txt","url":")" + *test.log_url + "\"}]";
            if (status == "FAIL") {
              test.log_excerpt =
                  "[    2.512345] BUG: kernel NULL pointer dereference, address: 0000000000000008\n"
                  "[    2.512400] #PF: supervisor read access in kernel mode\n";
            }
            if (path == kRegressingPath && p == 0 && regressed) {
              report::Incident incident;
              incident.id = *test.id + ":incident";
              incident.origin = br.origin;
              incident.issue_id = std::string(br.origin) + ":null-ptr-deref-" + br.tree;
              incident.issue_version = 1;
              incident.test_id = test.id;
              incident.present = true;
              r.incidents.push_back(incident);
            }
            r.tests.push_back(std::move(test));
            ++tests;
          }
        }
      }
      sink(r);
    }
  }
  return tests;
}

report::Report hostile_report(std::optional<std::chrono::system_clock::time_point> at) {
  const std::string text =
      R"(<script>window.__xss=1</script><img src=x onerror="window.__xss=2">"onmouseover="window.__xss=3" 'x)";
  const std::string js = "javascript:window.__xss=4";
  const std::string data = "data:text/html,<script>window.__xss=5</script>";
  const std::string files =
      R"([{"name":"<script>window.__xss=6</script>","url":"javascript:window.__xss=7"},)"
      R"({"name":"\"onmouseover=\"window.__xss=8","url":"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="},)"
      R"({"name":"spaced","url":" JaVaScRiPt:window.__xss=9"},)"
      R"({"name":"tab","url":"java\tscript:window.__xss=10"}])";
  const std::string misc =
      R"({"platform":"<script>window.__xss=11</script>","lab":"\"onmouseover=\"window.__xss=12","plan":"javascript:window.__xss=13"})";
  auto now = format_rfc3339(at.value_or(std::chrono::system_clock::now()));
  report::Report r;
  report::Checkout c;
  c.id = kHostileCheckoutId;
  c.origin = "xss";
  c.tree_name = text;
  c.git_repository_url = js;
  c.git_repository_branch = text;
  c.git_commit_hash = text;
  c.git_commit_name = text;
  c.patchset_hash = text;
  c.message_id = text;
  c.comment = text;
  c.start_time = now;
  c.log_url = data;
  c.log_excerpt = text;
  c.git_commit_tags = std::vector<std::string>{text};
  c.misc = misc;
  r.checkouts.push_back(c);
  report::Build b;
  b.id = kHostileBuildId;
  b.checkout_id = kHostileCheckoutId;
  b.origin = "xss";
  b.comment = text;
  b.start_time = now;
  b.architecture = text;
  b.command = text;
  b.compiler = text;
  b.config_name = text;
  b.config_url = js;
  b.log_url = js;
  b.log_excerpt = text;
  b.input_files = files;
  b.output_files = files;
  b.misc = misc;
  b.status = "FAIL";
  r.builds.push_back(b);
  report::Test t;
  t.id = kHostileTestId;
  t.build_id = kHostileBuildId;
  t.origin = "xss";
  t.environment_comment = text;
  t.environment_misc = misc;
  t.environment_compatible = std::vector<std::string>{text};
  t.path = text;
  t.comment = text;
  t.log_url = data;
  t.log_excerpt = text;
  t.status = "FAIL";
  t.start_time = now;
  t.output_files = files;
  t.misc = misc;
  t.number_unit = text;
  r.tests.push_back(t);
  report::Issue issue;
  issue.id = kHostileIssueId;
  issue.version = 1;
  issue.origin = "xss";
  issue.report_subject = text;
  issue.report_url = js;
  issue.comment = text;
  issue.misc = misc;
  issue.categories = std::vector<std::string>{text};
  r.issues.push_back(issue);
  report::Incident incident;
  incident.id = "xss:incident";
  incident.origin = "xss";
  incident.issue_id = kHostileIssueId;
  incident.issue_version = 1;
  incident.test_id = kHostileTestId;
  incident.build_id = kHostileBuildId;
  incident.comment = text;
  incident.present = true;
  r.incidents.push_back(incident);
  return r;
}

report::Report hostile_report_before(std::optional<std::chrono::system_clock::time_point> at) {
  auto when = at.value_or(std::chrono::system_clock::now()) - std::chrono::hours(24);
  report::Report h = hostile_report(when);
  report::Report r;
  r.checkouts = h.checkouts;
  r.checkouts[0].id = std::string(kHostileCheckoutId) + "-before";
  r.builds = h.builds;
  r.builds[0].id = std::string(kHostileBuildId) + "-before";
  r.builds[0].checkout_id = r.checkouts[0].id;
  r.tests = h.tests;
  r.tests[0].id = std::string(kHostileTestId) + "-before";
  r.tests[0].build_id = r.builds[0].id;
  r.tests[0].status = "PASS";
  return r;
}

}  // namespace kci::webtest
