// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/huge_pages.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace kci::util {
namespace {

constexpr const char* kTunable = "glibc.malloc.hugetlb=1";
// Set in the re-executed process: the GLIBC_TUNABLES to restore ("-": unset).
constexpr const char* kSavedEnv = "KCI_SAVED_GLIBC_TUNABLES";

}  // namespace

std::optional<std::string> huge_page_tunables(const char* current, std::string_view thp_enabled) {
  if (thp_enabled.find("[madvise]") == std::string_view::npos) return std::nullopt;
  std::string_view now = current ? current : "";
  if (now.find("glibc.malloc.hugetlb") != std::string_view::npos) return std::nullopt;
  return now.empty() ? std::string(kTunable) : std::string(now) + ":" + kTunable;
}

void use_huge_page_heap(char** argv) {
  if (const char* saved = std::getenv(kSavedEnv)) {
    // The re-executed process: glibc has read the tunable; children get
    // what this program was started with.
    std::string original = saved;
    if (original == "-") {
      unsetenv("GLIBC_TUNABLES");
    } else {
      setenv("GLIBC_TUNABLES", original.c_str(), 1);
    }
    unsetenv(kSavedEnv);
    return;
  }
  const char* off = std::getenv("KCI_HUGE_PAGES");
  if (off && std::string_view(off) == "0") return;
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  if (!f) return;
  std::stringstream thp;
  thp << f.rdbuf();
  const char* current = std::getenv("GLIBC_TUNABLES");
  std::optional<std::string> tunables = huge_page_tunables(current, thp.str());
  if (!tunables) return;
  const std::string original = current ? current : "-";
  setenv(kSavedEnv, original.c_str(), 1);
  setenv("GLIBC_TUNABLES", tunables->c_str(), 1);
  execv("/proc/self/exe", argv);
  // Not re-executed (no /proc): go on as started.
  unsetenv(kSavedEnv);
  if (original == "-") {
    unsetenv("GLIBC_TUNABLES");
  } else {
    setenv("GLIBC_TUNABLES", original.c_str(), 1);
  }
}

}  // namespace kci::util
