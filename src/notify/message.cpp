// SPDX-License-Identifier: LGPL-2.1-or-later
#include "notify/message.h"

#include "util/error.h"
#include "util/sha256.h"

namespace kci::notify {
namespace {

constexpr std::size_t kMaxLine = 998;

std::size_t char_start_before(std::string_view s, std::size_t pos) {
  // Step back over UTF-8 continuation bytes so a cut never splits a
  // character.
  std::size_t p = pos;
  while (p > 0 && (static_cast<unsigned char>(s[p]) & 0xc0) == 0x80) --p;
  return p == 0 ? pos : p;
}

}  // namespace

std::string mail_body(std::string_view body) {
  std::string text = valid_utf8(body);
  std::string out;
  out.reserve(text.size() + text.size() / 40);
  std::size_t i = 0;
  while (i <= text.size()) {
    std::size_t nl = text.find('\n', i);
    if (nl == std::string::npos) nl = text.size();
    std::string line;
    for (std::size_t k = i; k < nl; ++k) {
      auto c = static_cast<unsigned char>(text[k]);
      if (c == '\t' || c >= 0x20) {
        if (c != 0x7f) line += static_cast<char>(c);
      }
    }
    std::string_view rest = line;
    while (rest.size() > kMaxLine) {
      std::size_t cut = char_start_before(rest, kMaxLine);
      out.append(rest.substr(0, cut));
      out += "\r\n";
      rest.remove_prefix(cut);
    }
    out.append(rest);
    if (nl == text.size()) break;
    out += "\r\n";
    i = nl + 1;
  }
  if (!out.empty() && (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0))
    out += "\r\n";
  return out;
}

std::string render_message(const Message& m) {
  std::string out;
  auto line = [&out](const std::string& header) {
    out += header;
    out += "\r\n";
  };
  line(address_header("From", {m.from}));
  if (!m.to.empty()) line(address_header("To", m.to));
  if (!m.cc.empty()) line(address_header("Cc", m.cc));
  line(unstructured_header("Subject", m.subject));
  line("Date: " + rfc5322_date(m.date));
  line("Message-ID: " + bracket_message_id(m.message_id));
  if (!m.in_reply_to.empty()) line("In-Reply-To: " + bracket_message_id(m.in_reply_to));
  if (!m.references.empty()) {
    std::vector<std::string> ids;
    for (const auto& r : m.references) ids.push_back(bracket_message_id(r));
    std::string h = "References:";
    std::size_t len = h.size();
    for (const auto& id : ids) {
      if (len > 11 && len + 1 + id.size() > 78) {
        h += "\r\n";
        len = 0;
      }
      h += " " + id;
      len += 1 + id.size();
    }
    line(h);
  }
  line("MIME-Version: 1.0");
  line("Content-Type: text/plain; charset=utf-8");
  std::string body = mail_body(m.body);
  bool ascii = true;
  for (char c : body) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  line(std::string("Content-Transfer-Encoding: ") + (ascii ? "7bit" : "8bit"));
  for (const auto& [name, value] : m.extra_headers) {
    bool ok = !name.empty();
    for (char c : name) {
      ok = ok &&
           ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
    }
    if (!ok) throw InvalidInputError("invalid header name \"" + clean_header_text(name) + "\"");
    line(unstructured_header(name, value));
  }
  out += "\r\n";
  out += body;
  return out;
}

std::string stable_message_id(std::string_view subscription, std::string_view subject_object,
                              std::string_view kind, std::string_view content_hash,
                              std::string_view domain) {
  std::string key;
  for (auto part : {subscription, subject_object, kind, content_hash}) {
    key += std::to_string(part.size());
    key += ':';
    key.append(part);
  }
  return bracket_message_id("kci." + sha256_hex(key).substr(0, 32) + "@" + std::string(domain));
}

}  // namespace kci::notify
