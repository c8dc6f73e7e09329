// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/runtime/testplan.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "pipeline/results/console.h"
#include "pipeline/results/ktap.h"
#include "util/text.h"

namespace kci::pipeline {

namespace {

// KernelCI's baseline checks these kernel log levels (dmesg.sh): a message
// at any of them fails the case.
struct LogLevel {
  int number;
  const char* name;
};
constexpr LogLevel kBaselineLevels[] = {{0, "emerg"}, {1, "alert"}, {2, "crit"}};

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// What the init printed.
struct Markers {
  bool init = false;
  bool login = false;
  bool done = false;
  struct Case {
    std::string name, result, unit;
    std::optional<double> measurement;
  };
  std::vector<Case> cases;
  std::vector<std::string> dmesg_lines;  // "KCI-DMESG: <2>[...] ..." lines
};

Markers read_markers(std::string_view console) {
  Markers m;
  for (std::string_view line : split_lines(console)) {
    // Kernel messages can be printed in the middle of a marker line; a
    // marker is only taken where it starts the line.
    if (starts_with(line, "KCI-INIT:")) {
      m.init = true;
    } else if (starts_with(line, "KCI-LOGIN: ok")) {
      m.login = true;
    } else if (starts_with(line, "KCI-DONE")) {
      m.done = true;
    } else if (starts_with(line, "KCI-DMESG: ")) {
      m.dmesg_lines.emplace_back(line.substr(11));
    } else if (starts_with(line, "KCI-CASE: ")) {
      std::vector<std::string> words;
      std::string_view rest = line.substr(10);
      while (!rest.empty()) {
        std::size_t space = rest.find(' ');
        if (space != 0) words.emplace_back(rest.substr(0, space));
        if (space == std::string_view::npos) break;
        rest.remove_prefix(space + 1);
      }
      if (words.size() < 2) continue;
      Markers::Case c{words[0], words[1], words.size() > 3 ? words[3] : "", std::nullopt};
      if (words.size() > 2) {
        double value = 0;
        auto [ptr, ec] = std::from_chars(words[2].data(), words[2].data() + words[2].size(), value);
        if (ec == std::errc() && ptr == words[2].data() + words[2].size()) c.measurement = value;
      }
      m.cases.push_back(std::move(c));
    }
  }
  return m;
}

Status status_of_marker(std::string_view result) {
  if (result == "pass") return Status::kPass;
  if (result == "fail") return Status::kFail;
  if (result == "skip") return Status::kSkip;
  return Status::kError;
}

bool has_fatal_issue(const std::vector<KernelIssue>& issues) {
  return std::any_of(issues.begin(), issues.end(), [](const KernelIssue& i) {
    return i.kind == KernelIssueKind::kPanic || i.kind == KernelIssueKind::kOops ||
           i.kind == KernelIssueKind::kBug;
  });
}

// Why a test that should have run has no result, when the kernel is not to
// blame: ERROR if the boot was cut by the timeout while it could have been
// running, MISS if it never got the chance.
std::string not_run_comment(const BootOutcome& boot) {
  if (!boot.started) return "not run: " + boot.infrastructure_error;
  if (boot.timed_out) {
    return "not run: the boot was stopped by the runtime's timeout (" +
           std::to_string(static_cast<int>(boot.timeout_seconds)) + " s)";
  }
  return "not run: the guest stopped before the test";
}

TestOutcome login_outcome(std::string_view plan, const Markers& m,
                          const std::vector<KernelIssue>& issues, const BootOutcome& boot) {
  TestOutcome login{std::string(plan) + ".login", Status::kPass, std::nullopt, "", "", ""};
  if (!boot.started) {
    login.status = Status::kMiss;
    login.comment = not_run_comment(boot);
  } else if (m.login) {
    login.status = Status::kPass;
  } else if (has_fatal_issue(issues)) {
    login.status = Status::kFail;
    login.comment = "the kernel failed before a shell came up";
    login.log_excerpt = issues_excerpt(issues);
  } else if (boot.timed_out) {
    // The guest hung: the kernel may be at fault, but nothing proves it.
    login.status = Status::kError;
    login.comment = "no shell before the runtime's timeout (" +
                    std::to_string(static_cast<int>(boot.timeout_seconds)) + " s)";
  } else if (boot.exit_code != 0) {
    login.status = Status::kMiss;
    login.comment = "the emulator failed (exit status " + std::to_string(boot.exit_code) + ")";
  } else {
    login.status = Status::kError;
    login.comment = "the guest stopped before a shell came up, without a kernel error";
  }
  return login;
}

std::vector<TestOutcome> evaluate_baseline(std::string_view console, const BootOutcome& boot,
                                           const Markers& m,
                                           const std::vector<KernelIssue>& issues) {
  std::vector<TestOutcome> out;
  out.push_back(login_outcome("baseline", m, issues, boot));
  for (const LogLevel& level : kBaselineLevels) {
    TestOutcome t{
        std::string("baseline.dmesg.") + level.name, Status::kError, std::nullopt, "", "", ""};
    auto found = std::find_if(m.cases.begin(), m.cases.end(), [&](const Markers::Case& c) {
      return c.name == std::string("dmesg.") + level.name;
    });
    if (found != m.cases.end()) {
      t.status = status_of_marker(found->result);
      t.number = found->measurement;
      t.unit = found->unit;
      if (t.status == Status::kFail) {
        // The messages at this level, as the init printed them.
        std::string prefix = "<" + std::to_string(level.number) + ">";
        for (const std::string& line : m.dmesg_lines) {
          if (starts_with(line, prefix) && t.log_excerpt.size() + line.size() < 16000) {
            t.log_excerpt += line + "\n";
          }
        }
      }
    } else if (m.login && has_fatal_issue(issues)) {
      // The kernel died while the plan was running.
      t.status = Status::kFail;
      t.comment = "the kernel failed while the test ran";
      t.log_excerpt = issues_excerpt(issues);
    } else if (m.login) {
      t.status = Status::kError;
      t.comment = "the test started but printed no result";
    } else {
      t.status = Status::kMiss;
      t.comment = not_run_comment(boot);
    }
    out.push_back(std::move(t));
  }
  (void)console;
  return out;
}

Status ktap_status(KtapStatus status, bool kernel_failed) {
  switch (status) {
    case KtapStatus::kPass: return Status::kPass;
    case KtapStatus::kFail: return Status::kFail;
    case KtapStatus::kSkip: return Status::kSkip;
    case KtapStatus::kTodo: return Status::kSkip;  // a known failure: no verdict on the code
    case KtapStatus::kCrashed: return kernel_failed ? Status::kFail : Status::kError;
    case KtapStatus::kNoResult: return Status::kMiss;
  }
  return Status::kError;
}

void add_ktap_tests(const std::string& parent, const std::vector<KtapTest>& tests,
                    bool kernel_failed, const std::vector<KernelIssue>& issues,
                    std::vector<TestOutcome>& out) {
  for (const KtapTest& test : tests) {
    std::string name = test.name.empty() ? "test" + std::to_string(test.number) : test.name;
    TestOutcome t{parent + "." + test_path_part(name),
                  ktap_status(test.status, kernel_failed),
                  std::nullopt,
                  "",
                  "",
                  test.directive_reason};
    if (t.status == Status::kFail || t.status == Status::kError) {
      for (const std::string& line : test.log) {
        if (t.log_excerpt.size() + line.size() >= 16000) break;
        t.log_excerpt += line + "\n";
      }
      if (test.status == KtapStatus::kCrashed && kernel_failed) {
        t.log_excerpt =
            issues_excerpt(issues, 16384 - std::min<std::size_t>(t.log_excerpt.size(), 8000)) +
            t.log_excerpt.substr(0, 8000);
      }
    }
    if (test.status == KtapStatus::kCrashed)
      t.comment = "no result: the output stopped in the middle";
    if (test.status == KtapStatus::kNoResult) t.comment = "announced by the plan, never run";
    // A copy: the recursion grows `out`, which would move the path.
    std::string path = t.path;
    out.push_back(std::move(t));
    add_ktap_tests(path, test.subtests, kernel_failed, issues, out);
  }
}

std::vector<TestOutcome> evaluate_kunit(std::string_view console, const BootOutcome& boot,
                                        const std::vector<KernelIssue>& issues) {
  std::vector<TestOutcome> out;
  KtapDocument doc = parse_ktap(strip_printk_timestamps(console));
  bool kernel_failed = has_fatal_issue(issues);
  if (!doc.found || doc.tests.empty()) {
    TestOutcome t{"kunit", Status::kError, std::nullopt, "", "", ""};
    if (!boot.started) {
      t.status = Status::kMiss;
      t.comment = not_run_comment(boot);
    } else if (kernel_failed) {
      t.status = Status::kFail;
      t.log_excerpt = issues_excerpt(issues);
      t.comment = "the kernel failed before KUnit printed results";
    } else if (boot.timed_out) {
      t.status = Status::kError;
      t.comment = "no KTAP output before the runtime's timeout";
    } else {
      t.status = Status::kMiss;
      t.comment = "no KTAP output on the console (KUnit not built into this kernel?)";
    }
    out.push_back(std::move(t));
    return out;
  }
  add_ktap_tests("kunit", doc.tests, kernel_failed, issues, out);
  return out;
}

}  // namespace

const std::vector<std::string>& known_plans() {
  static const std::vector<std::string> plans{"baseline", "kunit"};
  return plans;
}

bool is_known_plan(std::string_view plan) {
  const auto& plans = known_plans();
  return std::find(plans.begin(), plans.end(), plan) != plans.end();
}

std::string test_path_part(std::string_view name) {
  std::string out;
  for (char c : name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    out.push_back(ok ? c : '_');
  }
  if (out.empty()) out = "_";
  return out;
}

std::string busybox_init_script(std::string_view plan) {
  std::string script = R"INIT(#!/bin/busybox sh
# kci test plan init: prints markers on the console for the host to read.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "KCI-INIT: plan=)INIT" +
                       std::string(plan) + R"INIT( kernel=$(uname -r) arch=$(uname -m)"
echo "KCI-LOGIN: ok"
)INIT";
  if (plan == "baseline") {
    script += R"INIT(for level in 0:emerg 1:alert 2:crit; do
  number=${level%%:*}
  name=${level#*:}
  count=$(dmesg -r | grep -c "^<$number>")
  if [ "$count" -eq 0 ]; then
    echo "KCI-CASE: dmesg.$name pass 0 lines"
  else
    dmesg -r | grep "^<$number>" | sed 's/^/KCI-DMESG: /'
    echo "KCI-CASE: dmesg.$name fail $count lines"
  fi
done
)INIT";
  }
  // kci.hold (LAVA jobs): keep a shell, LAVA ends the boot itself.
  script += R"INIT(echo "KCI-DONE"
if grep -q kci.hold /proc/cmdline; then exec /bin/sh; fi
poweroff -f
)INIT";
  return script;
}

std::string static_init_source(std::string_view plan) {
  std::string source = R"INIT(// kci test plan init for architectures without busybox.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <unistd.h>

static char kmsg[1 << 20];

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  mount("proc", "/proc", "proc", 0, NULL);
  mount("sysfs", "/sys", "sysfs", 0, NULL);
  mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
  struct utsname u;
  uname(&u);
  printf("KCI-INIT: plan=)INIT" +
                       std::string(plan) + R"INIT( kernel=%s arch=%s\n", u.release, u.machine);
  printf("KCI-LOGIN: ok\n");
)INIT";
  if (plan == "baseline") {
    source += R"INIT(  int size = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, kmsg, sizeof kmsg - 1);
  if (size < 0) size = 0;
  kmsg[size] = 0;
  static const char* names[] = {"emerg", "alert", "crit"};
  for (int level = 0; level < 3; ++level) {
    char prefix[8];
    snprintf(prefix, sizeof prefix, "<%d>", level);
    int count = 0;
    for (char* line = kmsg; line && *line;) {
      char* end = strchr(line, '\n');
      if (end) *end = 0;
      if (strncmp(line, prefix, strlen(prefix)) == 0) {
        printf("KCI-DMESG: %s\n", line);
        ++count;
      }
      if (end) *end = '\n';
      line = end ? end + 1 : NULL;
    }
    printf("KCI-CASE: dmesg.%s %s %d lines\n", names[level], count ? "fail" : "pass", count);
  }
)INIT";
  }
  source += R"INIT(  printf("KCI-DONE\n");
  fflush(stdout);
  sync();
  reboot(RB_POWER_OFF);
  for (;;) pause();
}
)INIT";
  return source;
}

std::vector<TestOutcome> evaluate_plan(std::string_view plan, std::string_view console,
                                       const BootOutcome& boot) {
  Markers markers = read_markers(console);
  std::vector<KernelIssue> issues = find_kernel_issues(console);
  if (plan == "kunit") return evaluate_kunit(console, boot, issues);
  return evaluate_baseline(console, boot, markers, issues);
}

}  // namespace kci::pipeline
