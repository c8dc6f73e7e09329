// SPDX-License-Identifier: LGPL-2.1-or-later
// Triage throughput (see docs/performance.md, section "Triage"); run by hand:
//
//   build/bench/triage_bench [--mb 64] [--rules 10000] [--results 1000000]
//
// 1. Console scanning: MB/s of ConsoleScanner over a realistic x86_64 boot
//    log (QEMU boot lines, a WARNING report every ~2 MB), one core.
// 2. Rules: 10,000 known-issue regexes compiled into one Vectorscan
//    database vs one RE2::Set, scanned over the same log: Gbit/s, compile
//    time. (RE2 is linked here only, to compare; kci uses Vectorscan.)
// 3. Incidents: N failed tests with a log_excerpt holding a crash report,
//    triaged (scan + rules + issue and incident objects).
#include <re2/re2.h>
#include <re2/set.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

#include "bench_util.h"
#include "triage/console_scan.h"
#include "triage/line_splitter.h"
#include "triage/pattern_set.h"
#include "triage/rules.h"
#include "triage/triager.h"

using namespace kci::triage;
using namespace kci::bench;

namespace {

const char* kBootLines[] = {
    "Linux version 6.6.0 (kci@build) (gcc (Debian 12.2.0-14) 12.2.0, GNU ld 2.40) #1 SMP",
    "Command line: console=ttyS0 root=/dev/vda rw panic=-1",
    "x86/fpu: Supporting XSAVE feature 0x001: 'x87 floating point registers'",
    "BIOS-e820: [mem 0x0000000000100000-0x000000007ffdffff] usable",
    "ACPI: RSDP 0x00000000000F5A50 000014 (v00 BOCHS )",
    "Zone ranges:",
    "  DMA      [mem 0x0000000000001000-0x0000000000ffffff]",
    "Memory: 2012340K/2096632K available (16384K kernel code, 2660K rwdata, 6680K rodata)",
    "rcu: Preemptible hierarchical RCU implementation.",
    "clocksource: tsc-early: mask: 0xffffffffffffffff max_cycles: 0x2b3e459bf4c, max_idle_ns",
    "pci 0000:00:02.0: [1234:1111] type 00 class 0x030000",
    "virtio_blk virtio1: [vda] 2097152 512-byte logical blocks (1.07 GB/1.00 GiB)",
    "EXT4-fs (vda): mounted filesystem 3a4f5c1e-1b2c-4d5e-8f90-a1b2c3d4e5f6 r/w with ordered data "
    "mode.",
    "Freeing unused kernel image (initmem) memory: 3136K",
    "Run /init as init process",
    "e1000: eth0 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: RX",
    "systemd[1]: Started Journal Service.",
    "random: crng init done",
    "audit: type=1400 audit(1700000000.123:2): apparmor=\"STATUS\" operation=\"profile_load\"",
    "input: ImExPS/2 Generic Explorer Mouse as /devices/platform/i8042/serio1/input/input3",
};

const char* kReport[] = {
    "------------[ cut here ]------------",
    "WARNING: CPU: 1 PID: 57 at kernel/workqueue.c:1700 __queue_work+0xc3b/0x1010",
    "Modules linked in: virtio_net net_failover failover",
    "CPU: 1 PID: 57 Comm: kworker/1:1 Not tainted 6.1.55 #1",
    "RIP: 0010:__queue_work+0xc3b/0x1010",
    "Call Trace:",
    " <TASK>",
    " ? __warn+0x7d/0x130",
    " queue_work_on+0x6a/0x70",
    " neigh_periodic_work+0x1f8/0x2a0",
    " process_one_work+0x1c7/0x3c0",
    " </TASK>",
    "---[ end trace 0000000000000000 ]---",
};

std::string boot_log(std::size_t bytes) {
  std::string log;
  log.reserve(bytes + 4096);
  std::size_t n = 0;
  char stamp[32];
  while (log.size() < bytes) {
    std::snprintf(stamp, sizeof stamp, "[%5zu.%06zu] ", n / 1000, (n * 7919) % 1000000);
    log += stamp;
    log += kBootLines[n % (sizeof kBootLines / sizeof *kBootLines)];
    log += '\n';
    if (++n % 20000 == 0) {
      for (const char* l : kReport) {
        log += stamp;
        log += l;
        log += '\n';
      }
    }
  }
  return log;
}

// 10,000 rules shaped like known-issue patterns: a driver or subsystem name,
// a message with a variable part, mostly never matching a clean boot log.
std::vector<std::string> make_rules(std::size_t n) {
  static const char* kSubsys[] = {"usb",     "mmc",      "ath10k_pci", "amdgpu",    "i915",  "nvme",
                                  "ext4",    "xhci_hcd", "r8169",      "iwlwifi",   "btrfs", "dwc3",
                                  "spi-nor", "rcu",      "watchdog",   "virtio_net"};
  static const char* kMsg[] = {
      "timeout waiting for [a-z]+ on port [0-9]+",
      "failed to (load|start) firmware rev [0-9a-f]{4}",
      "link is down after [0-9]+ retries",
      "error -(110|71|5) while resetting",
      "unexpected IRQ [0-9]+ status 0x[0-9a-f]+",
      "descriptor ring full \\(head=[0-9]+\\)",
      "CRC mismatch in block [0-9]+",
      "hung for more than [0-9]+ seconds",
  };
  std::vector<std::string> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(std::string(kSubsys[i % 16]) + "_" + std::to_string(i) + ": " +
                  kMsg[(i / 16) % 8]);
  }
  // A few rules that do match the log.
  out[n / 2] = "WARNING: CPU: [0-9]+ PID: [0-9]+ at kernel/workqueue\\.c";
  out[n / 3] = "e1000: eth[0-9] NIC Link is Up";
  return out;
}

}  // namespace

// CPU time of the process: on a shared machine the wall clock also counts
// the time other processes had the cores.
static double cpu_seconds() { return cpu_ms() / 1e3; }

int main(int argc, char** argv) {
  std::size_t mb = 64, nrules = 10000, nresults = 1000000;
  CLI::App app{
      "Triage: console scanning, known-issue rules in Vectorscan and RE2::Set, "
      "incidents for N failed tests (docs/performance.md, \"Triage\")"};
  app.add_option("--mb", mb, "MiB of boot log")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--rules", nrules, "Known-issue regexes")->capture_default_str();
  app.add_option("--results", nresults, "Failed tests triaged")->capture_default_str();
  parse_args(app, argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string log = boot_log(mb << 20);
  double mbytes = static_cast<double>(log.size()) / (1 << 20);
  std::printf("log: %.1f MiB of boot log, %zu rules, %zu results\n", mbytes, nrules, nresults);

  // 1. Console scanning.
  {
    std::size_t found = 0;
    auto t0 = Clock::now();
    ConsoleScanner scanner([&found](Finding&&) { ++found; });
    LineSplitter splitter([&scanner](std::string_view l, std::size_t n) { scanner.line(l, n); });
    splitter.feed(log);
    splitter.finish();
    scanner.finish();
    double s = seconds_since(t0);
    std::printf("console scan: %.0f MB/s (%.3f s, %zu lines, %zu reports)\n",
                static_cast<double>(log.size()) / 1e6 / s, s, splitter.lines(), found);
  }

  // 2. Rules: Vectorscan vs RE2::Set.
  std::vector<std::string> rules = make_rules(nrules);
  {
    auto t0 = Clock::now();
    PatternSet set(rules);
    double compile = seconds_since(t0);
    t0 = Clock::now();
    PatternSet::Scanner sc(set);
    for (std::size_t off = 0; off < log.size(); off += 1 << 20) {
      sc.feed(std::string_view(log).substr(off, 1 << 20));
    }
    auto hits = sc.finish();
    double s = seconds_since(t0);
    std::printf(
        "vectorscan: %zu rules compiled in %.2f s; scan %.2f Gbit/s (%.3f s, %zu rules hit)\n",
        rules.size(), compile, static_cast<double>(log.size()) * 8 / 1e9 / s, s, hits.size());
  }
  {
    RE2::Options o;
    o.set_max_mem(std::int64_t{1} << 30);  // the default 8 MiB runs out near 13,500 patterns
    o.set_log_errors(false);
    auto t0 = Clock::now();
    RE2::Set set(o, RE2::UNANCHORED);
    for (const auto& r : rules) {
      if (set.Add(r, nullptr) < 0) std::printf("re2: cannot add %s\n", r.c_str());
    }
    bool ok = set.Compile();
    double compile = seconds_since(t0);
    // RE2::Set has no streaming interface: match line by line (a whole
    // 64 MiB text would only say "which patterns", not cheaper).
    t0 = Clock::now();
    std::vector<int> v;
    std::vector<bool> hit(rules.size());
    std::size_t start = 0;
    std::size_t scanned = 0;
    RE2::Set::ErrorInfo err{};
    bool out_of_memory = false;
    while (start < log.size() && seconds_since(t0) < 20) {
      std::size_t nl = log.find('\n', start);
      if (nl == std::string::npos) nl = log.size();
      v.clear();
      if (set.Match(std::string_view(log).substr(start, nl - start), &v, &err)) {
        for (int id : v) hit[static_cast<std::size_t>(id)] = true;
      } else if (err.kind == RE2::Set::kOutOfMemory) {
        out_of_memory = true;
        break;
      }
      scanned += nl + 1 - start;
      start = nl + 1;
    }
    double s = seconds_since(t0);
    std::size_t nhit = 0;
    for (bool b : hit) nhit += b;
    std::printf(
        "re2::set:   %zu rules compiled in %.2f s (%s); scan %.3f Gbit/s over %.1f MiB "
        "(%.3f s, %zu rules hit)%s\n",
        rules.size(), compile, ok ? "ok" : "FAILED", static_cast<double>(scanned) * 8 / 1e9 / s,
        static_cast<double>(scanned) / (1 << 20), s, nhit, out_of_memory ? " OUT OF MEMORY" : "");
  }

  // 3. Incidents for N failed tests.
  {
    RuleSet rs;
    for (std::size_t i = 0; i < 1000; ++i) {
      KnownIssueRule r;
      r.id = "kci:rule:" + std::to_string(i);
      r.match.log_excerpt = {rules[i]};
      r.match.architecture = {i % 2 ? "x86_64" : "arm64"};
      rs.rules.push_back(std::move(r));
    }
    rs.rules[0].match.log_excerpt = {"at kernel/workqueue\\.c:[0-9]+ __queue_work"};  // arm64 only
    TriageOptions opts;
    opts.fetch_logs = false;
    Triager triager(rs, opts);
    std::string excerpt;
    for (const char* l : kReport) excerpt += std::string("[   64.731455] ") + l + "\n";
    // Incidents are written in batches of 10,000 results, as a load would.
    kci::report::Report out;
    std::unordered_set<std::string> issues_in_out;
    std::size_t issues = 0, incidents = 0;
    auto t0 = Clock::now();
    double c0 = cpu_seconds();
    for (std::size_t i = 0; i < nresults; ++i) {
      ResultFacts f;
      f.is_test = true;
      f.id = "maestro:test-" + std::to_string(i);
      f.status = "FAIL";
      f.architecture = i % 2 ? "x86_64" : "arm64";
      Outcome o = triager.triage(f, std::nullopt, excerpt);
      triager.add_to_report(f, o, out, &issues_in_out);
      if ((i + 1) % 10000 == 0 || i + 1 == nresults) {
        issues += out.issues.size();
        incidents += out.incidents.size();
        out.clear();
        issues_in_out.clear();
      }
    }
    double s = seconds_since(t0);
    double cpu = cpu_seconds() - c0;
    std::printf(
        "incidents: %zu failed tests triaged in %.2f s wall, %.2f s CPU (%.0f/s of CPU): %zu "
        "issue objects, %zu incidents\n",
        nresults, s, cpu, static_cast<double>(nresults) / cpu, issues, incidents);
  }
  return 0;
}
