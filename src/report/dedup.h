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

}  // namespace kci::report
