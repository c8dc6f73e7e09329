// SPDX-License-Identifier: LGPL-2.1-or-later
#include "notify/bisection.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string>

#include "util/error.h"

namespace kci::notify {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::vector<Address> bisection_recipients(const BisectionResult& r) {
  static const char* const kTrailers[] = {
      "signed-off-by:", "reviewed-by:",     "acked-by:",    "tested-by:",
      "reported-by:",   "co-developed-by:", "suggested-by:"};
  std::vector<Address> out;
  std::set<std::string> seen;
  auto add = [&](std::string_view text) {
    try {
      Address a = parse_address(text);
      if (seen.insert(lower(a.email)).second) out.push_back(std::move(a));
    } catch (const InvalidInputError&) {
    }
  };
  if (!r.culprit_author.empty()) add(r.culprit_author);
  std::string_view show = r.culprit_show;
  std::size_t i = 0;
  while (i < show.size()) {
    std::size_t nl = show.find('\n', i);
    if (nl == std::string_view::npos) nl = show.size();
    std::string_view line = show.substr(i, nl - i);
    i = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.rfind("diff --git ", 0) == 0) break;  // the message is over
    std::size_t b = line.find_first_not_of(" \t");
    if (b == std::string_view::npos) continue;
    line.remove_prefix(b);
    if (line.rfind("Author:", 0) == 0) {
      add(line.substr(7));
      continue;
    }
    std::string head = lower(std::string(line.substr(0, std::min<std::size_t>(line.size(), 20))));
    for (const char* t : kTrailers) {
      std::string_view tv(t);
      if (head.rfind(tv, 0) == 0) add(line.substr(tv.size()));
    }
  }
  return out;
}

}  // namespace kci::notify
