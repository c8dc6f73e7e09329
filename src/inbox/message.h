// SPDX-License-Identifier: LGPL-2.1-or-later
// One mail message of a public-inbox archive: the RFC 5322 headers kci
// needs (folded lines unfolded, RFC 2047 encoded words decoded) and the
// raw text, kept byte for byte for git am.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kci::inbox {

struct Message {
  std::string raw;              // the whole message as stored in the archive
  std::size_t body_offset = 0;  // where the body starts in raw
  std::string message_id;       // without angle brackets
  std::string subject;          // decoded, unfolded
  std::string from;             // decoded "Name <addr>"
  std::string to;               // decoded, comma-separated as written
  std::string cc;
  std::int64_t date = 0;    // Unix seconds of the Date header (0 when absent or unreadable)
  std::string in_reply_to;  // first msg-id of In-Reply-To
  std::vector<std::string> references;  // msg-ids of References, oldest first
  bool automated = false;  // Auto-Submitted (not "no"), Precedence bulk/junk, X-Patchwork-Bot...
  // Where the message sits in its archive.
  int epoch = 0;
  std::string blob;    // git blob id
  std::string commit;  // git commit that added it

  std::string_view body() const { return std::string_view(raw).substr(body_offset); }
};

// Parses a message (headers up to the first empty line; CRLF or LF). A
// message without headers gives empty fields, never an error.
Message parse_message(std::string raw);

// The value of the first header `name` (case-insensitive), unfolded and
// decoded; "" if absent. For headers parse_message does not keep.
std::string header_value(std::string_view raw, std::string_view name);

// Decodes RFC 2047 encoded words (=?charset?B|Q?text?=) in a header value;
// UTF-8, US-ASCII and ISO-8859-1 become UTF-8, other charsets keep their
// bytes. Whitespace between two encoded words is dropped, as the RFC says.
std::string decode_encoded_words(std::string_view value);

// The msg-ids "<...>" of a header value, in order, without brackets.
std::vector<std::string> parse_msg_ids(std::string_view value);

// The e-mail addresses (addr-spec, lower-cased) of an address-list header
// value ("A <a@x>, b@y, \"C, D\" <c@z>").
std::vector<std::string> parse_addresses(std::string_view value);

// RFC 5322 date ("Mon, 7 Dec 2026 01:02:03 +0100", obsolete zones too) to
// Unix seconds; 0 when unreadable.
std::int64_t parse_date(std::string_view value);

}  // namespace kci::inbox
