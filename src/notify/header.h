// SPDX-License-Identifier: LGPL-2.1-or-later
// Mail header safety (RFC 5322, RFC 2047). Every value that reaches a
// header goes through these functions: control characters (CR, LF, NUL,
// TAB, DEL and the rest of C0) from report data become spaces, non-ASCII
// text becomes RFC 2047 encoded words, and long lines are folded. Nothing a
// report carries can start a header line of its own.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kci::notify {

// value with every control character (< 0x20, 0x7f) replaced by a space,
// runs of spaces collapsed, leading/trailing spaces removed, and invalid
// UTF-8 replaced by U+FFFD.
std::string clean_header_text(std::string_view value);

// Valid UTF-8 of text: every ill-formed sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view text);

// "Name: value" for an unstructured header (Subject, X-*): value cleaned,
// RFC 2047 B-encoded (UTF-8) when it is not plain printable ASCII, and
// folded so no line is longer than 78 characters where that is possible.
// The result has no trailing CRLF; continuation lines start with a space.
std::string unstructured_header(std::string_view name, std::string_view value);

// A mailbox: display name (may be empty) and addr-spec.
struct Address {
  std::string name;
  std::string email;
  bool operator==(const Address&) const = default;
};

// Parses "Name <local@domain>", "\"Name\" <local@domain>" or
// "local@domain". Throws InvalidInputError naming the text when the
// address is not a plain ASCII addr-spec (no control characters, spaces,
// angle brackets, quotes, commas...).
Address parse_address(std::string_view text);
// True when email is an addr-spec kci accepts (see parse_address).
bool valid_addr_spec(std::string_view email);

// The address as it appears in a header: "\"Name\" <a@b>" with the name
// quoted or RFC 2047 encoded as needed, or "a@b".
std::string format_address(const Address& address);
// "Name: addr, addr" folded after commas.
std::string address_header(std::string_view name, const std::vector<Address>& addresses);

// A msg-id "<left@right>" check: printable ASCII without spaces, "<>",
// "\"" or "\\", one "@". Accepts the id with or without angle brackets.
bool valid_message_id(std::string_view id);
// id in angle brackets; throws InvalidInputError when !valid_message_id.
std::string bracket_message_id(std::string_view id);

// RFC 5322 date-time in UTC: "Sun, 06 Dec 2026 19:40:00 +0000", from
// Unix seconds.
std::string rfc5322_date(long long unix_seconds);

}  // namespace kci::notify
