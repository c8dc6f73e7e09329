// SPDX-License-Identifier: LGPL-2.1-or-later
// LAVA's notify callback as `kci serve` receives it on POST /callback/lava.
// A job definition kci generates (pipeline/lava/lava.h) holds
//   notify: {criteria: {status: finished},
//            callback: {url: .../callback/lava?node=ID, token: NAME,
//                       dataset: all, content-type: json}}
// and LAVA posts the job (id, status, definition, log, results by suite,
// metadata) with the secret of the user's token NAME as the whole value of
// the Authorization header (or of the header the block's `header:` names).
// The body is JSON (content-type: json) or, LAVA's default,
// application/x-www-form-urlencoded: one field per member, results and
// metadata as JSON text. The results become KCIDB tests through the LAVA
// result parser and enter the store through ingest::Loader; the job node of
// `kci run` the URL names (?node=ID) is finished with the job's result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ingest/change_event.h"
#include "store/sql.h"
#include "store/store.h"

namespace kci::server {

// Largest callback body accepted (LAVA's dataset "all" carries the whole
// log: a few MiB for a long job).
inline constexpr std::size_t kMaxLavaCallbackBytes = std::size_t{64} << 20;

// The callback body as the JSON object parse_lava_callback reads.
// content_type: "application/json" (or empty) is taken as is;
// "application/x-www-form-urlencoded" is decoded field by field: "id" and
// "status" become numbers, results and metadata must hold JSON (an object
// or an array) and become that value, every other field is a string.
// Throws InvalidInputError naming the field (or the content type).
std::string lava_callback_json(std::string_view body, std::string_view content_type);

struct LavaCallbackRequest {
  std::string body;
  std::string content_type;
  std::string origin;                   // KCIDB origin of the results
  std::string build_id;                 // default: the node's, else the job's kci.build_id
  std::optional<std::int64_t> node_id;  // the kci run job node the job ran for
};

struct LavaCallbackOutcome {
  long long job_id = 0;
  std::string status;       // LAVA's: complete, incomplete, canceled
  std::size_t tests = 0;    // KCIDB tests loaded
  std::string node_result;  // the node's result when it was finished, else ""
  std::string message;      // one line for the answer
};

// Parses, loads and finishes the node. Throws InvalidInputError for a
// bad body or an unknown node (a 400), store errors otherwise.
LavaCallbackOutcome handle_lava_callback(const LavaCallbackRequest& request, store::Store& store,
                                         store::SqlConnection& sql,
                                         ingest::ChangeBus* bus = nullptr);

}  // namespace kci::server
