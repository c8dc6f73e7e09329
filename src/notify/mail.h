// SPDX-License-Identifier: LGPL-2.1-or-later
// A rendered report made into a mail for one subscription: sender,
// recipients, stable Message-ID and threading.
#pragma once

#include <string>
#include <vector>

#include "notify/message.h"
#include "notify/render.h"

namespace kci::notify {

struct MailContext {
  std::string subscription;  // the subscription's name (part of the Message-ID)
  Address from;
  std::vector<Address> to, cc;
  std::string domain = "kci.invalid";  // right-hand side of Message-IDs
  long long date = 0;
  // Threading: the first mail of this (subscription, object, kind), or a
  // patch's Message-ID, and the thread so far (oldest first).
  std::string in_reply_to;
  std::vector<std::string> references;
};

// SHA-256 (hex) of what a reader sees: subject and body.
std::string content_hash(const RenderedReport& report);

Message compose_mail(const RenderedReport& report, const MailContext& context);

}  // namespace kci::notify
