// SPDX-License-Identifier: LGPL-2.1-or-later
// Nodes and outcomes as JSON, the wire format between `kci serve` and pull
// workers (`kci worker`, pull_worker.h):
//   node:    {"id":N,"kind":"job","parent":N,"name":S,"state":S,"retries":N,
//             "timeout_seconds":N,"owner":S,"data":{S:S}}
//   outcome: {"result":"pass","infrastructure_error":false,"reason":S,
//             "data":{S:S},"tests":[{"path":S,"result":S}],"report":KCIDB v5.3}
#pragma once

#include <string>
#include <string_view>

#include "orchestrator/executor.h"
#include "orchestrator/node.h"
#include "report/json.h"

namespace kci::orchestrator {

void node_to_json(const Node& node, json::Value& out, json::Allocator& alloc);
// Throws InvalidInputError naming `where` (a JSON pointer) and the member.
Node node_from_json(const json::Value& v, const std::string& where);

std::string outcome_to_json(const Outcome& outcome);
// Checks the report against the KCIDB schema as the model reads it; throws
// InvalidInputError naming the JSON pointer.
Outcome outcome_from_json(const json::Value& v, const std::string& where);

}  // namespace kci::orchestrator
