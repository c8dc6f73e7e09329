// SPDX-License-Identifier: LGPL-2.1-or-later
// One mail: the fields kci fills, and their RFC 5322 text. Plain text only
// (text/plain; charset=utf-8), CRLF line ends, body lines cut at 998
// bytes, every header value through header.h.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "notify/header.h"

namespace kci::notify {

struct Message {
  Address from;
  std::vector<Address> to, cc;
  std::string subject;
  std::string message_id;  // "<...@...>"
  // Threading: the message this one replies to, and the thread's ids,
  // oldest first.
  std::string in_reply_to;
  std::vector<std::string> references;
  long long date = 0;  // Unix seconds
  // Extra unstructured headers (X-Kci-Report-Kind...): names are kci's own.
  std::vector<std::pair<std::string, std::string>> extra_headers;
  std::string body;  // UTF-8 plain text, '\n' line ends
};

// The message as RFC 5322 text with CRLF line ends. Throws
// InvalidInputError for an invalid address or Message-ID.
std::string render_message(const Message& message);

// body with CRLF line ends, invalid UTF-8 replaced, control characters
// other than TAB removed, and every line longer than 998 bytes cut into
// lines of at most 998 bytes at character boundaries.
std::string mail_body(std::string_view body);

// The Message-ID kci gives a mail: "<kci.HEX@domain>", HEX the first 32
// hex digits of SHA-256 over the subscription, the subject object, the
// report kind and the content hash. The same inputs give the same id, so a
// mail rendered again (a re-delivery, a restart) keeps its id.
std::string stable_message_id(std::string_view subscription, std::string_view subject_object,
                              std::string_view kind, std::string_view content_hash,
                              std::string_view domain);

}  // namespace kci::notify
