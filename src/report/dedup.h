// SPDX-License-Identifier: LGPL-2.1-or-later
// Merging objects that share an identity (id; id+version for issues) inside
// one report, with the same rule kci's store applies between loads:
//  * per field (flattened sub-objects such as environment_comment or
//    culprit_code merge per sub-field; misc, resource lists and string
//    arrays are single values, replaced wholesale);
//  * a present field is never erased by a missing one;
//  * when both are present the later object wins (deterministic, unlike
//    kcidb's random pick).
#pragma once

#include <array>
#include <cstddef>
#include <iterator>
#include <vector>

#include "report/model.h"

namespace kci::report {

// Merges `from` (the later object) into `into` by the rule above.
// Instantiated for the five model types.
template <typename T>
void merge_fields(T& into, const T& from);

// Collapses objects with the same identity in every list of `report` into
// one (at the position of the first), in place. Returns how many objects
// were merged away.
std::size_t dedup(Report& report);

// The same merge, for loading: merges the objects of `list` that share an
// identity into the first of them (by the rule above, in list order) and
// returns the indices of the objects that remain, in key order (id, then
// version). `list` keeps its length; merged-away objects are only left out
// of the result. Sorting replaces dedup()'s hash table, so a loader that
// wants key order anyway pays for one pass instead of two; lists of more
// than kParallelSortMin objects are sorted in two halves on two threads.
template <typename T>
std::vector<std::size_t> dedup_in_key_order(std::vector<T>& list);
inline constexpr std::size_t kParallelSortMin = 50000;

// dedup_in_key_order() of every list of `report`, indexed by ObjectType.
using KeyOrders = std::array<std::vector<std::size_t>, std::size(kObjectTypes)>;
KeyOrders dedup_in_key_order(Report& report);

}  // namespace kci::report
