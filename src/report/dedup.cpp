// SPDX-License-Identifier: LGPL-2.1-or-later
#include "report/dedup.h"

#include <algorithm>
#include <array>
#include <numeric>
#include <thread>
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

template <typename T>
std::vector<std::size_t> dedup_in_key_order(std::vector<T>& list) {
  std::vector<std::size_t> order(list.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  // Stable, so objects with the same identity stay in list order and the
  // later one's fields win, as in dedup().
  auto less = [&](std::size_t a, std::size_t b) { return key_less(list[a], list[b]); };
  if (order.size() >= kParallelSortMin) {
    auto middle = order.begin() + static_cast<std::ptrdiff_t>(order.size() / 2);
    std::thread first_half([&] { std::stable_sort(order.begin(), middle, less); });
    std::stable_sort(middle, order.end(), less);
    first_half.join();
    std::inplace_merge(order.begin(), middle, order.end(), less);
  } else {
    std::stable_sort(order.begin(), order.end(), less);
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (kept > 0 && !less(order[kept - 1], order[i])) {
      merge_fields(list[order[kept - 1]], list[order[i]]);  // same identity
    } else {
      order[kept++] = order[i];
    }
  }
  order.resize(kept);
  return order;
}

template std::vector<std::size_t> dedup_in_key_order<Checkout>(std::vector<Checkout>&);
template std::vector<std::size_t> dedup_in_key_order<Build>(std::vector<Build>&);
template std::vector<std::size_t> dedup_in_key_order<Test>(std::vector<Test>&);
template std::vector<std::size_t> dedup_in_key_order<Issue>(std::vector<Issue>&);
template std::vector<std::size_t> dedup_in_key_order<Incident>(std::vector<Incident>&);

KeyOrders dedup_in_key_order(Report& report) {
  KeyOrders orders;
  Report::each_list(report, [&](auto& list) {
    using T = typename std::decay_t<decltype(list)>::value_type;
    orders[static_cast<std::size_t>(T::kType)] = dedup_in_key_order(list);
  });
  return orders;
}

std::size_t dedup(Report& report) {
  std::size_t merged = 0;
  Report::each_list(report, [&](auto& list) { merged += dedup_list(list); });
  return merged;
}

}  // namespace kci::report
