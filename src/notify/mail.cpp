// SPDX-License-Identifier: LGPL-2.1-or-later
#include "notify/mail.h"

#include "util/sha256.h"

namespace kci::notify {

std::string content_hash(const RenderedReport& report) {
  return sha256_hex(report.subject + "\n" + report.body);
}

Message compose_mail(const RenderedReport& report, const MailContext& c) {
  Message m;
  m.from = c.from;
  m.to = c.to;
  m.cc = c.cc;
  m.subject = report.subject;
  m.message_id = stable_message_id(c.subscription, report.subject_object,
                                   report_kind_name(report.kind), content_hash(report), c.domain);
  m.in_reply_to = c.in_reply_to;
  m.references = c.references;
  if (!m.in_reply_to.empty() && m.references.empty()) m.references.push_back(m.in_reply_to);
  m.date = c.date;
  m.extra_headers.emplace_back("X-Kci-Report", report_kind_name(report.kind));
  m.extra_headers.emplace_back("X-Kci-Object", report.subject_object);
  m.body = report.body;
  return m;
}

}  // namespace kci::notify
