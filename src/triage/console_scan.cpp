// SPDX-License-Identifier: LGPL-2.1-or-later
#include "triage/console_scan.h"

#include <algorithm>
#include <array>
#include <deque>
#include <optional>
#include <unordered_set>

#include "triage/line_splitter.h"
#include "triage/log_text.h"

namespace kci::triage {

namespace {

// Generic helpers that never name a bug: exact names, and prefixes (ending
// in '*').
constexpr std::string_view kSkipped[] = {
    // reporting and printing
    "dump_stack*",
    "__dump_stack",
    "show_stack",
    "show_trace_log_lvl",
    "show_regs",
    "panic",
    "__panic",
    "nmi_panic",
    "vpanic",
    "__warn*",
    "warn_slowpath*",
    "report_bug",
    "handle_bug",
    "exc_invalid_op",
    "asm_exc_invalid_op",
    "do_error_trap",
    "do_trap",
    "do_invalid_op",
    "__might_sleep",
    "__might_resched",
    "___might_sleep",
    "__might_fault",
    "print_report",
    "print_address_description*",
    "describe_object*",
    "end_report",
    "start_report",
    "__report_bug",
    "__bug",
    "bug_handler",
    "die",
    "__die*",
    "oops_end",
    // sanitizers
    "kasan_*",
    "__kasan_*",
    "____kasan_*",
    "__asan_*",
    "asan_*",
    "check_memory_region*",
    "kmsan_*",
    "__kmsan_*",
    "__msan_*",
    "kcsan_*",
    "__kcsan_*",
    "__tsan_*",
    "ubsan_*",
    "__ubsan_*",
    "kfence_*",
    "__kfence_*",
    // string and user-copy helpers
    "memcpy",
    "memmove",
    "memset",
    "memcmp",
    "__memcpy",
    "__memset",
    "__memmove",
    "memcpy_orig",
    "memset_orig",
    "strcmp",
    "strncmp",
    "strlen",
    "strnlen",
    "strcpy",
    "strncpy",
    "strscpy",
    "strcat",
    "strncat",
    "copy_to_user",
    "copy_from_user",
    "_copy_to_user",
    "_copy_from_user",
    "__copy_to_user*",
    "__copy_from_user*",
    "copy_user_*",
    "rep_movs_alternative",
    "check_object_size",
    "__check_object_size",
    // refcount
    "refcount_warn_saturate",
    "__refcount_*",
    "refcount_*",
    // lockdep and locks
    "lock_acquire*",
    "__lock_acquire",
    "lock_release",
    "lock_acquired",
    "lock_contended",
    "lockdep_*",
    "__lockdep_*",
    "check_noncircular",
    "check_prev_add",
    "check_prevs_add",
    "validate_chain",
    "print_circular_bug*",
    "print_deadlock_bug",
    "print_usage_bug",
    "check_deadlock",
    "valid_state",
    "mark_lock*",
    "mark_usage",
    "lock_is_held*",
    "debug_lockdep_rcu_enabled",
    "__mutex_lock*",
    "mutex_lock*",
    "mutex_trylock",
    "mutex_unlock",
    "_raw_spin_*",
    "raw_spin_*",
    "spin_lock*",
    "spin_unlock*",
    "_raw_read_*",
    "_raw_write_*",
    "do_raw_spin_*",
    "__raw_spin_*",
    "down",
    "down_read*",
    "down_write*",
    "up_read",
    "up_write",
    "rwsem_*",
    "__rwsem_*",
    "__down*",
    "rt_mutex*",
    "__rt_mutex*",
    "rt_spin_*",
    "queued_spin_lock_slowpath",
    "native_queued_spin_lock_slowpath",
    // scheduling and waiting
    "schedule",
    "__schedule",
    "schedule_timeout*",
    "schedule_preempt_disabled",
    "io_schedule*",
    "preempt_schedule*",
    "wait_for_completion*",
    "__wait_for_common",
    "wait_for_common*",
    "do_wait_for_common",
    "__flush_work",
    "flush_work",
    "synchronize_rcu*",
    "__synchronize_srcu",
    "context_switch",
    "__switch_to*",
    "bit_wait*",
    "out_of_line_wait_on_bit*",
    "__wait_on_bit*",
    // allocation
    "kmemleak_alloc*",
    "__kmalloc*",
    "kmalloc*",
    "kmem_cache_alloc*",
    "__kmem_cache_alloc*",
    "kzalloc*",
    "kcalloc*",
    "krealloc*",
    "slab_post_alloc_hook",
    "slab_alloc*",
    "__slab_alloc*",
    "___slab_alloc",
    "__alloc_pages*",
    "alloc_pages*",
    "__get_free_pages",
    "vmalloc*",
    "__vmalloc*",
    "vzalloc",
    "kvmalloc*",
    "__kvmalloc*",
    "kvzalloc",
    "kmemdup*",
    "kstrdup*",
    "alloc_slab_page",
    "allocate_slab",
    "new_slab",
    "__do_kmalloc_node",
    // interrupts, timers, watchdogs (stalls and lockups)
    "nmi_cpu_backtrace",
    "nmi_trigger_cpumask_backtrace",
    "arch_trigger_cpumask_backtrace",
    "trigger_single_cpu_backtrace",
    "rcu_dump_cpu_stacks",
    "print_cpu_stall*",
    "print_other_cpu_stall",
    "check_cpu_stall",
    "rcu_pending",
    "rcu_sched_clock_irq",
    "update_process_times",
    "tick_sched_*",
    "tick_nohz_*",
    "tick_handle_*",
    "__hrtimer_run_queues",
    "hrtimer_interrupt",
    "__sysvec_*",
    "sysvec_*",
    "asm_sysvec_*",
    "watchdog_timer_fn",
    "watchdog_overflow_callback",
    "__perf_event_overflow",
    "perf_event_nmi_handler",
    "nmi_handle",
    "default_do_nmi",
    "exc_nmi",
    "asm_exc_nmi",
    "end_repeat_nmi",
    "irq_exit*",
    "__irq_exit_rcu",
    "check_hung_uninterruptible_tasks",
    "check_hung_task",
    "watchdog",
    // entry
    "ret_from_fork*",
    "kthread",
    "entry_SYSCALL*",
    "do_syscall_64",
    "x64_sys_call",
    "asm_exc_page_fault",
    "exc_page_fault",
    "do_user_addr_fault",
    "page_fault_oops",
    "kernelmode_fixup_or_oops",
    "__bad_area_nosemaphore",
    "bad_area_nosemaphore",
    "no_context",
    "__do_kernel_fault",
    "do_page_fault",
    "do_translation_fault",
    "do_mem_abort",
    "el1_abort",
    "el1h_64_sync_handler",
    "el1h_64_sync",
    "asm_exc_general_protection",
    "exc_general_protection",
    "die_addr",
};

enum class FuncFrom { kNone, kHeaderThenIp, kIpFirst, kTraceOnly };

struct Header {
  std::string kind;
  std::string prefix;                    // the title before " in FUNC" (not yet normalised)
  std::string header_func;               // a function named by the header line itself
  FuncFrom func_from = FuncFrom::kNone;  // kNone: the title is the prefix alone
  bool kasan_access = false;             // append " Read"/" Write" from the access line
  bool fault_like = false;               // an Oops/trap line that follows a BUG report
  bool panic = false;
  bool refcount = false;
  bool one_line = false;  // nothing follows the header line
  std::string stall_irq;  // skip <IRQ> frames (stalls, lockups)
};

// "name+0x12/0x34" (or "name") at the start of s: the name.
std::string function_at(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && s[i] != '+' && s[i] != ' ' && s[i] != '(' && s[i] != ',' && s[i] != '/' &&
         s[i] != ')' && s[i] != ':') {
    ++i;
  }
  return std::string(clean_function(s.substr(0, i)));
}

// The text after " in " in a sanitizer header ("use-after-free in f+0x1/0x2").
void split_in(std::string_view rest, std::string& what, std::string& func) {
  std::size_t in = rest.find(" in ");
  if (in == std::string_view::npos) {
    what = std::string(rest);
    return;
  }
  what = std::string(rest.substr(0, in));
  func = function_at(rest.substr(in + 4));
}

// The message of a generic "BUG: ..." / "WARNING: ..." line, cut before
// the details that vary ("at FILE:LINE", ": task name", ", address").
std::string generic_message(std::string_view msg) {
  std::size_t cut = msg.size();
  for (std::string_view sep :
       {std::string_view(":"), std::string_view(","), std::string_view(" at "),
        std::string_view(" on "), std::string_view(" for "), std::string_view(" in process"),
        std::string_view("!"), std::string_view(" ["), std::string_view(" (")}) {
    std::size_t p = msg.find(sep);
    if (p != std::string_view::npos && p > 0) cut = std::min(cut, p);
  }
  std::string out(msg.substr(0, cut));
  while (!out.empty() && (out.back() == ' ' || out.back() == '.')) out.pop_back();
  for (std::string_view drop : {std::string_view(" detected")}) {
    if (out.size() > drop.size() && out.compare(out.size() - drop.size(), drop.size(), drop) == 0) {
      out.resize(out.size() - drop.size());
    }
  }
  return out;
}

// "Oops: 0000 [#1]", "invalid opcode: 0000 [#1]": a trap line.
std::optional<Header> trap_header(std::string_view c) {
  struct Trap {
    std::string_view start, title;
  };
  static constexpr Trap kTraps[] = {
      {"general protection fault", "general protection fault"},
      {"divide error:", "divide error"},
      {"invalid opcode:", "invalid opcode"},
      {"double fault:", "double fault"},
      {"stack segment:", "stack segment fault"},
      {"int3:", "int3"},
      {"Internal error: ", "Internal error"},
  };
  for (const auto& t : kTraps) {
    if (starts_with(c, t.start)) {
      Header h;
      h.kind = t.title == "double fault" ? "stack_corruption" : "fault";
      h.prefix = std::string(t.title);
      if (t.start == "Internal error: ") {
        std::string m = generic_message(c.substr(t.start.size()));
        h.prefix += ": " + m;
      }
      h.func_from = FuncFrom::kIpFirst;
      h.fault_like = t.title != "general protection fault" && t.title != "divide error";
      return h;
    }
  }
  return std::nullopt;
}

std::optional<Header> classify(std::string_view c);

std::optional<Header> classify_bug(std::string_view rest) {
  Header h;
  h.kind = "bug";
  h.func_from = FuncFrom::kHeaderThenIp;
  for (std::string_view san :
       {std::string_view("KASAN: "), std::string_view("KMSAN: "), std::string_view("KFENCE: ")}) {
    if (starts_with(rest, san)) {
      std::string what;
      split_in(rest.substr(san.size()), what, h.header_func);
      h.kind = san == "KASAN: " ? "kasan" : san == "KMSAN: " ? "kmsan" : "kfence";
      h.prefix = std::string(san) + what;
      h.kasan_access = san == "KASAN: " && what.find("free") == std::string::npos;
      if (san == "KASAN: " && what.find("use-after-free") != std::string::npos) {
        h.kasan_access = true;
      }
      return h;
    }
  }
  if (starts_with(rest, "KCSAN: ")) {
    h.kind = "kcsan";
    std::string r(rest);
    std::string out;
    // "data-race in f+0x1/0x2 / g+0x3/0x4": normalise both functions.
    out = normalize_title(r);
    h.prefix = out;
    h.func_from = FuncFrom::kNone;
    return h;
  }
  if (starts_with(rest, "kernel NULL pointer dereference") ||
      starts_with(rest, "unable to handle kernel NULL pointer dereference")) {
    h.kind = "fault";
    h.prefix = "BUG: unable to handle kernel NULL pointer dereference";
    h.func_from = FuncFrom::kIpFirst;
    return h;
  }
  if (starts_with(rest, "unable to handle page fault") ||
      starts_with(rest, "unable to handle kernel paging request") ||
      starts_with(rest, "unable to handle kernel")) {
    h.kind = "fault";
    h.prefix = "BUG: unable to handle kernel paging request";
    h.func_from = FuncFrom::kIpFirst;
    return h;
  }
  if (starts_with(rest, "soft lockup")) {
    h.kind = "lockup";
    h.prefix = "BUG: soft lockup";
    h.func_from = FuncFrom::kIpFirst;
    h.stall_irq = "irq";
    return h;
  }
  if (starts_with(rest, "stack guard page was hit")) {
    h.kind = "stack_corruption";
    h.prefix = "BUG: stack guard page was hit";
    h.func_from = FuncFrom::kIpFirst;
    return h;
  }
  if (starts_with(rest, "workqueue lockup")) {
    h.kind = "lockup";
    h.prefix = "BUG: workqueue lockup";
    return h;
  }
  if (starts_with(rest, "memory leak")) {
    h.kind = "memory_leak";
    h.prefix = "memory leak";
    h.func_from = FuncFrom::kTraceOnly;
    return h;
  }
  std::string m = generic_message(rest);
  if (m.empty()) return std::nullopt;
  h.prefix = "BUG: " + m;
  h.func_from = FuncFrom::kIpFirst;
  return h;
}

std::optional<Header> classify_warning(std::string_view rest) {
  Header h;
  h.func_from = FuncFrom::kHeaderThenIp;
  h.kind = "warning";
  if (starts_with(rest, "CPU: ") || starts_with(rest, "at ")) {
    // "CPU: 0 PID: 1 at kernel/workqueue.c:1438 __queue_work+0x3a/0x40"
    // or the old "at kernel/workqueue.c:1438 __queue_work()".
    std::size_t at = starts_with(rest, "at ") ? 0 : rest.find(" at ");
    if (at != std::string_view::npos) {
      std::string_view loc = rest.substr(at + (at == 0 ? 3 : 4));
      std::size_t sp = loc.find(' ');
      if (sp != std::string_view::npos) h.header_func = function_at(loc.substr(sp + 1));
    }
    h.prefix = "WARNING";
    return h;
  }
  h.func_from = FuncFrom::kTraceOnly;
  h.kind = "lockdep";
  if (starts_with(rest, "possible circular locking dependency") ||
      starts_with(rest, "possible recursive locking") ||
      starts_with(rest, "possible irq lock inversion") ||
      rest.find("lock order detected") != std::string_view::npos) {
    h.prefix = "possible deadlock";
    return h;
  }
  if (starts_with(rest, "inconsistent lock state")) {
    h.prefix = "inconsistent lock state";
    return h;
  }
  if (starts_with(rest, "suspicious RCU usage")) {
    h.prefix = "WARNING: suspicious RCU usage";
    return h;
  }
  if (starts_with(rest, "bad unlock balance") || starts_with(rest, "held lock freed") ||
      starts_with(rest, "lock held when returning") || starts_with(rest, "nested lock")) {
    h.prefix = "WARNING: " + generic_message(rest);
    return h;
  }
  std::string m = generic_message(rest);
  if (m.empty()) return std::nullopt;
  h.kind = "warning";
  h.prefix = "WARNING: " + m;
  return h;
}

std::optional<Header> classify_info(std::string_view rest) {
  Header h;
  if (starts_with(rest, "task ") &&
      rest.find(" blocked for more than ") != std::string_view::npos) {
    h.kind = "hung_task";
    h.prefix = "INFO: task hung";
    h.func_from = FuncFrom::kTraceOnly;
    return h;
  }
  if (rest.find(" detected stall") != std::string_view::npos ||
      rest.find(" self-detected stall") != std::string_view::npos ||
      rest.find(" detected expedited stall") != std::string_view::npos) {
    h.kind = "rcu_stall";
    h.prefix = "INFO: rcu detected stall";
    h.func_from = FuncFrom::kIpFirst;
    h.stall_irq = "irq";
    return h;
  }
  if (starts_with(rest, "trying to register non-static key")) {
    h.kind = "lockdep";
    h.prefix = "INFO: trying to register non-static key";
    h.func_from = FuncFrom::kTraceOnly;
    return h;
  }
  return std::nullopt;
}

std::optional<Header> classify_panic(std::string_view msg) {
  Header h;
  h.kind = "panic";
  h.panic = true;
  if (starts_with(msg, "stack-protector: Kernel stack is corrupted in: ")) {
    h.kind = "stack_corruption";
    h.prefix = "kernel panic: stack is corrupted";
    h.header_func = function_at(msg.substr(47));
    h.func_from = FuncFrom::kHeaderThenIp;
    return h;
  }
  if (starts_with(msg, "corrupted stack end detected inside scheduler")) {
    h.kind = "stack_corruption";
    h.prefix = "kernel panic: corrupted stack end";
    h.func_from = FuncFrom::kTraceOnly;
    return h;
  }
  std::string m(msg);
  while (!m.empty() && (m.back() == ' ' || m.back() == '.')) m.pop_back();
  h.prefix = "kernel panic: " + m;
  return h;
}

// The report a line starts, or nullopt. `c` is the line without printk
// decorations.
std::optional<Header> classify(std::string_view c) {
  if (c.empty()) return std::nullopt;
  switch (c[0]) {
    case 'B':
      if (starts_with(c, "BUG: ")) return classify_bug(c.substr(5));
      break;
    case 'W':
      if (starts_with(c, "WARNING: ")) return classify_warning(c.substr(9));
      if (starts_with(c, "Watchdog detected hard LOCKUP")) {
        Header h;
        h.kind = "lockup";
        h.prefix = "BUG: hard lockup";
        h.func_from = FuncFrom::kIpFirst;
        h.stall_irq = "irq";
        return h;
      }
      break;
    case 'I':
      if (starts_with(c, "INFO: ")) return classify_info(c.substr(6));
      if (starts_with(c, "Internal error: ")) return trap_header(c);
      break;
    case 'g':
    case 'd':
    case 'i':
    case 's': return trap_header(c);
    case 'O':
      if (starts_with(c, "Oops: ")) {
        std::string_view rest = c.substr(6);
        if (starts_with(rest, "Oops: ")) rest.remove_prefix(6);  // 6.x prints it twice
        if (auto t = trap_header(rest)) return t;
        Header h;
        h.kind = "fault";
        h.prefix = "Oops";
        h.func_from = FuncFrom::kIpFirst;
        h.fault_like = true;
        return h;
      }
      break;
    case 'k':
      if (starts_with(c, "kernel BUG at ")) {
        Header h;
        h.kind = "bug";
        h.prefix = "kernel BUG";
        h.func_from = FuncFrom::kIpFirst;
        return h;
      }
      if (starts_with(c, "kmemleak: ") &&
          c.find("suspected memory leak") != std::string_view::npos) {
        Header h;
        h.kind = "memory_leak";
        h.prefix = "kmemleak: suspected memory leaks";
        h.one_line = true;
        return h;
      }
      if (starts_with(c, "kernel tried to execute NX-protected page")) {
        Header h;
        h.kind = "fault";
        h.prefix = "BUG: unable to handle kernel paging request";
        h.func_from = FuncFrom::kIpFirst;
        return h;
      }
      break;
    case 'K':
      if (starts_with(c, "Kernel panic - not syncing: ")) return classify_panic(c.substr(28));
      break;
    case 'U':
      if (starts_with(c, "UBSAN: ")) {
        Header h;
        h.kind = "ubsan";
        std::string what;
        std::string ignored;
        split_in(c.substr(7), what, ignored);
        h.prefix = "UBSAN: " + what;
        h.func_from = FuncFrom::kTraceOnly;
        return h;
      }
      if (starts_with(c, "Unable to handle kernel NULL pointer dereference")) {
        Header h;
        h.kind = "fault";
        h.prefix = "BUG: unable to handle kernel NULL pointer dereference";
        h.func_from = FuncFrom::kIpFirst;
        return h;
      }
      if (starts_with(c, "Unable to handle kernel ")) {
        Header h;
        h.kind = "fault";
        h.prefix = "BUG: unable to handle kernel paging request";
        h.func_from = FuncFrom::kIpFirst;
        return h;
      }
      break;
    case 'u':
      if (starts_with(c, "unreferenced object 0x")) {
        Header h;
        h.kind = "memory_leak";
        h.prefix = "memory leak";
        h.func_from = FuncFrom::kTraceOnly;
        return h;
      }
      break;
    case 'c':
      if (starts_with(c, "corrupted stack end detected inside scheduler")) {
        return classify_panic(c);
      }
      break;
    // Subsystem prefixes before a header.
    case 'w':
      if (starts_with(c, "watchdog: ")) return classify(c.substr(10));
      break;
    case 'r':
      if (starts_with(c, "rcu: ")) return classify(c.substr(5));
      break;
    case 'N':
      if (starts_with(c, "NMI watchdog: ")) return classify(c.substr(14));
      break;
    default: break;
  }
  return std::nullopt;
}

bool is_end_marker(std::string_view c) {
  return starts_with(c, "---[ end trace") || starts_with(c, "---[ end Kernel panic");
}

bool is_trace_marker(std::string_view c) {
  return starts_with(c, "Call Trace:") || starts_with(c, "Call trace:") ||
         starts_with(c, "Backtrace:") || starts_with(c, "backtrace") ||
         starts_with(c, "  backtrace") || starts_with(c, "stack backtrace:") ||
         starts_with(c, "Call Trace") || starts_with(c, " backtrace");
}

bool is_other_stack_marker(std::string_view c) {
  return starts_with(c, "Allocated by task") || starts_with(c, "Freed by task") ||
         starts_with(c, "The buggy address") || starts_with(c, "Last potentially related") ||
         starts_with(c, "Second to last potentially") || starts_with(c, "Memory state around");
}

// Lines of a trace that are neither frames nor the end of it.
bool is_trace_filler(std::string_view c) {
  std::string_view s = c;
  while (!s.empty() && s[0] == ' ') s.remove_prefix(1);
  return s.empty() || s[0] == '<' || starts_with(s, "? ") || starts_with(s, "RSP:") ||
         starts_with(s, "RAX:") || starts_with(s, "RDX:") || starts_with(s, "RBP:") ||
         starts_with(s, "R10:") || starts_with(s, "R13:") || starts_with(s, "FS:") ||
         starts_with(s, "CS:") || starts_with(s, "CR2:") || starts_with(s, "DR") ||
         starts_with(s, "Code:") || starts_with(s, "Kernel Offset") || starts_with(s, "[<") ||
         starts_with(s, "Modules linked in") || starts_with(s, "CPU: ") ||
         starts_with(s, "Hardware name") || starts_with(s, "RIP:") || starts_with(s, "Workqueue");
}

struct Report {
  Header header;
  std::string caller;
  std::size_t start_line = 0;
  std::size_t lines = 0;  // lines of this report seen so far
  std::string excerpt;
  bool excerpt_full = false;
  std::string access;      // KASAN "Read"/"Write"
  std::string ip_func;     // first non-generic faulting-instruction function
  std::string trace_func;  // first non-generic trace frame
  bool in_trace = false;
  bool trace_done = false;          // past the first trace (alloc/free stacks follow)
  std::size_t trace_marker_at = 0;  // report line of the last trace marker
  bool frame_after_marker = false;
  bool marker_without_frame = false;
  bool in_irq = false;
  std::size_t quiet = 0;  // consecutive non-trace lines after frames
  bool finished = false;
  Finding finding;
};

}  // namespace

bool is_skipped_function(std::string_view function) {
  // Exact names in a hash set, "prefix*" patterns in a short list: called
  // for every frame of every report.
  struct Index {
    std::unordered_set<std::string_view> exact;
    std::vector<std::string_view> prefixes;
    Index() {
      for (std::string_view p : kSkipped) {
        if (!p.empty() && p.back() == '*')
          prefixes.push_back(p.substr(0, p.size() - 1));
        else
          exact.insert(p);
      }
    }
  };
  static const Index index;
  if (index.exact.count(function)) return true;
  for (std::string_view p : index.prefixes)
    if (starts_with(function, p)) return true;
  return false;
}

struct ConsoleScanner::State {
  Sink sink;
  ConsoleScanOptions options;
  std::deque<Report> reports;  // in start order; finished ones wait for earlier ones
  std::size_t emitted = 0;
  std::size_t dropped = 0;
  std::size_t last_finished_line = 0;  // log line where the last report ended
  std::size_t current_line = 0;

  Report* open_for(std::string_view caller) {
    for (auto it = reports.rbegin(); it != reports.rend(); ++it) {
      if (!it->finished && it->caller == caller) return &*it;
    }
    return nullptr;
  }

  void finish(Report& r, bool at_eof) {
    if (r.finished) return;
    r.finished = true;
    last_finished_line = current_line;
    const Header& h = r.header;
    std::string func;
    switch (h.func_from) {
      case FuncFrom::kNone: break;
      case FuncFrom::kHeaderThenIp:
        func = !h.header_func.empty() && !is_skipped_function(h.header_func) ? h.header_func
               : !r.ip_func.empty()                                          ? r.ip_func
                                                                             : r.trace_func;
        break;
      case FuncFrom::kIpFirst: func = !r.ip_func.empty() ? r.ip_func : r.trace_func; break;
      case FuncFrom::kTraceOnly: func = r.trace_func; break;
    }
    std::string prefix = h.prefix;
    if (h.kasan_access && !r.access.empty()) prefix += " " + r.access;
    if (h.refcount) prefix = "WARNING: refcount bug";
    Finding& f = r.finding;
    f.kind = h.kind;
    f.line = r.start_line;
    f.excerpt = std::move(r.excerpt);
    // A trace that was announced but never came (the log ended first).
    f.corrupted = r.marker_without_frame ||
                  (at_eof && r.in_trace && !r.frame_after_marker && h.func_from != FuncFrom::kNone);
    if (h.func_from == FuncFrom::kNone) {
      f.title = normalize_title(prefix);
    } else if (func.empty()) {
      f.title = normalize_title(prefix) + " in corrupted";
      f.corrupted = true;
    } else {
      f.title = normalize_title(prefix + " in " + func);
    }
    f.signature = signature_of(f.title);
  }

  void flush() {
    while (!reports.empty() && reports.front().finished) {
      if (emitted < options.max_findings) {
        ++emitted;
        sink(std::move(reports.front().finding));
      } else {
        ++dropped;
      }
      reports.pop_front();
    }
  }

  void frame(Report& r, std::string_view func, bool is_ip) {
    if (is_ip) {
      if (r.ip_func.empty() && !is_skipped_function(func)) r.ip_func = std::string(func);
      return;
    }
    if (!r.in_trace || r.trace_done) return;
    r.frame_after_marker = true;
    if (r.in_irq && !r.header.stall_irq.empty()) return;
    if (r.trace_func.empty() && !is_skipped_function(func)) r.trace_func = std::string(func);
  }

  // A line that belongs to (or is inside) an open report.
  void feed_report(Report& r, std::string_view c, std::string_view raw) {
    ++r.lines;
    if (!r.excerpt_full) r.excerpt_full = !append_excerpt_line(r.excerpt, raw, kMaxExcerpt);
    if (is_end_marker(c)) {
      finish(r, false);
      return;
    }
    if (r.header.kasan_access && r.access.empty() && r.lines < 10) {
      if (starts_with(c, "Read of size") || starts_with(c, "Read at addr")) r.access = "Read";
      if (starts_with(c, "Write of size") || starts_with(c, "Write at addr")) r.access = "Write";
    }
    if (r.header.prefix == "WARNING" && r.lines < 4 && starts_with(c, "refcount_t: ")) {
      r.header.refcount = true;
    }
    if (r.header.header_func == "refcount_warn_saturate") r.header.refcount = true;
    bool is_ip = false;
    if (auto f = parse_frame(c, &is_ip)) {
      frame(r, *f, is_ip);
      r.quiet = 0;
    } else if (is_trace_marker(c)) {
      if (!r.trace_done) {
        r.in_trace = true;
        r.trace_marker_at = r.lines;
        r.frame_after_marker = false;
      }
    } else if (is_other_stack_marker(c)) {
      if (r.in_trace) r.trace_done = true;
    } else {
      std::string_view s = c;
      while (!s.empty() && s[0] == ' ') s.remove_prefix(1);
      if (starts_with(s, "<IRQ>") || starts_with(s, "<NMI>")) r.in_irq = true;
      if (starts_with(s, "</IRQ>") || starts_with(s, "</NMI>")) r.in_irq = false;
      if (r.in_trace && r.frame_after_marker && !is_trace_filler(c)) {
        if (++r.quiet >= 8) finish(r, false);  // the trace is over
      }
    }
    if (r.in_trace && !r.frame_after_marker && !r.marker_without_frame &&
        r.lines > r.trace_marker_at + 15) {
      r.marker_without_frame = true;
    }
    if (r.lines >= options.max_report_lines) finish(r, false);
    // A report without a stack to look for (a panic message, a KCSAN
    // title) keeps a short tail of context unless a trace follows.
    if (r.header.func_from == FuncFrom::kNone && !r.in_trace && r.lines >= 30) finish(r, false);
  }

  // The panic a report causes ("Fatal exception", init killed by the
  // Oops) is part of it, even after its end marker.
  static bool is_consequence_panic(const Header& h) {
    if (!h.panic) return false;
    for (std::string_view m :
         {"kernel panic: Fatal exception", "kernel panic: Attempted to kill init",
          "kernel panic: panic_on_warn set", "kernel panic: Aiee, killing",
          "kernel panic: softlockup: hung tasks", "kernel panic: hung_task",
          "kernel panic: System is deadlocked", "kernel panic: RCU Stall", "kernel panic: Oops"}) {
      if (starts_with(h.prefix, m)) return true;
    }
    return false;
  }

  void line(std::string_view raw, std::size_t number) {
    current_line = number;
    std::string_view caller;
    std::string_view c = strip_printk_prefix(raw, &caller);
    std::optional<Header> h = classify(c);
    Report* open = open_for(caller);
    if (h && open) {
      // Consequences of the open report fold into it: the panic it caused,
      // the Oops/trap line after "kernel BUG at" or a NULL dereference.
      bool fold = h->panic || (h->fault_like && open->lines < 40 &&
                               (open->header.kind == "fault" || open->header.kind == "bug" ||
                                open->header.kind == "stack_corruption"));
      if (fold) h.reset();
    }
    if (h && !open && last_finished_line > 0 && number - last_finished_line <= 50 &&
        is_consequence_panic(*h)) {
      h.reset();  // folded into the report that just ended
    }
    if (h) {
      if (open) finish(*open, false);
      if (reports.size() >= 16) {  // bound the open reports: finish the oldest
        for (auto& r : reports) {
          if (!r.finished) {
            finish(r, false);
            break;
          }
        }
      }
      Report r;
      r.header = std::move(*h);
      r.caller = std::string(caller);
      r.start_line = number;
      reports.push_back(std::move(r));
      Report& nr = reports.back();
      ++nr.lines;
      append_excerpt_line(nr.excerpt, raw, kMaxExcerpt);
      if (nr.header.header_func == "refcount_warn_saturate") nr.header.refcount = true;
      if (nr.header.one_line) finish(nr, false);
      flush();
      return;
    }
    if (open) {
      feed_report(*open, c, raw);
    } else if (!caller.empty()) {
      // A line of another caller while this caller has no report: nothing.
    }
    flush();
  }
};

ConsoleScanner::ConsoleScanner(Sink sink, ConsoleScanOptions options)
    : state_(std::make_unique<State>()) {
  state_->sink = std::move(sink);
  state_->options = options;
}

ConsoleScanner::~ConsoleScanner() = default;

void ConsoleScanner::line(std::string_view raw, std::size_t number) { state_->line(raw, number); }

void ConsoleScanner::finish() {
  for (auto& r : state_->reports) state_->finish(r, true);
  state_->flush();
}

std::size_t ConsoleScanner::dropped() const { return state_->dropped; }

std::vector<Finding> scan_console(std::string_view log, ConsoleScanOptions options) {
  std::vector<Finding> out;
  ConsoleScanner scanner([&out](Finding&& f) { out.push_back(std::move(f)); }, options);
  LineSplitter splitter([&scanner](std::string_view l, std::size_t n) { scanner.line(l, n); });
  splitter.feed(log);
  splitter.finish();
  scanner.finish();
  return out;
}

}  // namespace kci::triage
