// SPDX-License-Identifier: LGPL-2.1-or-later
// E-mail rendering with hostile fields, as `kci notify render` and the
// notifier do it: report data read from JSON (notify::parse_report_input:
// test, build, bisection and new-issue reports, whose every string comes
// from submitted reports), rendered, composed into a mail and written as
// RFC 5322 text. Invariants: bad data only raises InvalidInputError; the
// mail has exactly the headers kci writes (no header injected through a
// field), every line ends in CRLF and is at most 998 bytes, and no NUL or
// bare CR / LF gets in.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "fuzz.h"
#include "notify/header.h"
#include "notify/mail.h"
#include "notify/message.h"
#include "notify/report_json.h"
#include "util/error.h"

namespace {

// Checks the RFC 5322 shape of a rendered mail.
void check_mail(std::string_view mail) {
  static const std::set<std::string, std::less<>> kHeaders = {"From",
                                                              "To",
                                                              "Cc",
                                                              "Subject",
                                                              "Date",
                                                              "Message-ID",
                                                              "In-Reply-To",
                                                              "References",
                                                              "MIME-Version",
                                                              "Content-Type",
                                                              "Content-Transfer-Encoding"};
  KCI_FUZZ_CHECK(mail.find('\0') == std::string_view::npos);
  std::size_t pos = 0;
  bool in_headers = true;
  int subjects = 0;
  while (pos < mail.size()) {
    std::size_t end = mail.find("\r\n", pos);
    KCI_FUZZ_CHECK(end != std::string_view::npos);  // every line ends in CRLF
    std::string_view line = mail.substr(pos, end - pos);
    pos = end + 2;
    KCI_FUZZ_CHECK(line.size() <= 998);
    KCI_FUZZ_CHECK(line.find('\r') == std::string_view::npos);
    KCI_FUZZ_CHECK(line.find('\n') == std::string_view::npos);
    if (!in_headers) continue;
    if (line.empty()) {
      in_headers = false;
      continue;
    }
    if (line[0] == ' ' || line[0] == '\t') continue;  // folded
    std::size_t colon = line.find(':');
    KCI_FUZZ_CHECK(colon != std::string_view::npos);
    std::string_view name = line.substr(0, colon);
    if (name == "Subject") ++subjects;
    bool known = kHeaders.count(name) > 0 || name.substr(0, 6) == "X-Kci-";
    if (!known) std::fprintf(stderr, "unexpected header: %.*s\n", int(name.size()), name.data());
    KCI_FUZZ_CHECK(known);
  }
  KCI_FUZZ_CHECK(!in_headers);
  KCI_FUZZ_CHECK(subjects == 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kci;
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    notify::ReportInput in = notify::parse_report_input(text, "<fuzz>");
    notify::RenderedReport r = notify::render_input(in);
    notify::content_hash(r);
    notify::MailContext c;
    c.subscription = in.subscription;
    c.from = notify::parse_address(in.from);
    for (const auto& t : in.to) c.to.push_back(notify::parse_address(t));
    c.domain = in.domain;
    c.date = in.date;
    c.in_reply_to = in.in_reply_to;
    check_mail(notify::render_message(notify::compose_mail(r, c)));
  } catch (const InvalidInputError&) {
  }
  return 0;
}
