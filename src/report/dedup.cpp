// SPDX-License-Identifier: LGPL-2.1-or-later
#include "report/dedup.h"

#include <array>
#include <unordered_map>

namespace kci::report {

template <typename T>
void merge_fields(T& into, const T& from) {
  // Walk both objects' members in step: visit() yields them in the same
  // order, so the n-th member of `from` matches the n-th of `into`.
  std::array<const void*, 32> from_members{};
  std::size_t n = 0;
  T::visit(from, [&](const FieldInfo&, const auto& m) { from_members.at(n++) = &m; });
  std::size_t i = 0;
  T::visit(into, [&](const FieldInfo&, auto& m) {
    using M = std::decay_t<decltype(m)>;
    const M& other = *static_cast<const M*>(from_members[i++]);
    if (other) m = other;
  });
}

template void merge_fields<Checkout>(Checkout&, const Checkout&);
template void merge_fields<Build>(Build&, const Build&);
template void merge_fields<Test>(Test&, const Test&);
template void merge_fields<Issue>(Issue&, const Issue&);
template void merge_fields<Incident>(Incident&, const Incident&);

namespace {

struct KeyHash {
  std::size_t operator()(const ObjectKey& k) const {
    return std::hash<std::string>()(k.id) ^ (std::hash<std::int64_t>()(k.version) * 31);
  }
};

template <typename T>
std::size_t dedup_list(std::vector<T>& list) {
  std::unordered_map<ObjectKey, std::size_t, KeyHash> first;
  first.reserve(list.size());
  std::size_t kept = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto [it, inserted] = first.emplace(key_of(list[i]), kept);
    if (inserted) {
      if (kept != i) list[kept] = std::move(list[i]);
      ++kept;
    } else {
      merge_fields(list[it->second], list[i]);
    }
  }
  std::size_t merged = list.size() - kept;
  list.resize(kept);
  return merged;
}

}  // namespace

std::size_t dedup(Report& report) {
  std::size_t merged = 0;
  Report::each_list(report, [&](auto& list) { merged += dedup_list(list); });
  return merged;
}

}  // namespace kci::report
