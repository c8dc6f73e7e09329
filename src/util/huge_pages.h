// SPDX-License-Identifier: LGPL-2.1-or-later
// Transparent huge pages for the heap.
//
// Why: kci builds large results in memory (a query of 1,000 checkouts with
// their children is 168,000 objects, about 200 MB), and on the project's VM
// the first touch of each 4 KiB page costs several microseconds in the
// kernel: a quarter of such a query's CPU. Debian's kernels run transparent
// huge pages in `madvise` mode, where only memory the program asks for gets
// 2 MiB pages, and glibc (2.35 or later) asks for them for its heap when the
// tunable `glibc.malloc.hugetlb=1` is set. Tunables are read when a program
// starts, so the program sets it and executes itself again, once, first
// thing in main() (kci only for the commands that build large results: the
// second exec costs about 28 ms); the re-executed process restores GLIBC_TUNABLES so that
// the programs it runs (make, gcc, QEMU) see the environment they were given.
// $KCI_HUGE_PAGES=0 turns this off.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kci::util {

// The GLIBC_TUNABLES value to execute with, given the current one (nullptr:
// unset) and the contents of /sys/kernel/mm/transparent_hugepage/enabled;
// nullopt when nothing would change (the tunable is set already, or THP is
// `always` or `never`, or the kernel does not have it).
std::optional<std::string> huge_page_tunables(const char* current, std::string_view thp_enabled);

// Re-executes /proc/self/exe with argv and the tunable when it would change
// something, else (and in the re-executed process) returns, restoring the
// environment. Call before anything else in main(): no threads, no files.
void use_huge_page_heap(char** argv);

}  // namespace kci::util
