// SPDX-License-Identifier: LGPL-2.1-or-later
// Where rendered mails go: an SMTP server (libcurl: smtp:// or smtps://,
// STARTTLS, AUTH, timeouts), a Maildir, or standard output (--dry-run).
// A transport sends the stored bytes as they are, so a re-delivery keeps
// the mail's Message-ID.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "util/error.h"

namespace kci::notify {

// A delivery that failed; `permanent` when retrying cannot help (the
// server refused the recipients or the message with a 5xx).
class DeliveryError : public Error {
 public:
  DeliveryError(const std::string& what, bool permanent) : Error(what), permanent_(permanent) {}
  bool permanent() const { return permanent_; }

 private:
  bool permanent_;
};

struct Envelope {
  std::string from;             // addr-spec
  std::vector<std::string> to;  // addr-specs
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends one mail; throws DeliveryError.
  virtual void send(const Envelope& envelope, const std::string& message) = 0;
};

struct SmtpOptions {
  std::string url;             // smtp://host:port or smtps://host:port
  bool starttls = false;       // require STARTTLS on smtp://
  std::string user, password;  // AUTH when user is set
  long connect_timeout_s = 10;
  long timeout_s = 60;
  bool insecure = false;  // skip TLS certificate checks (tests only)
};

// One connection, reused across mails (libcurl keeps it open).
std::unique_ptr<Transport> smtp_transport(const SmtpOptions& options);
// Writes each mail to DIR/new/ (Maildir: tmp/ then rename); file names
// come from the Message-ID's hash, so a re-delivery overwrites itself.
std::unique_ptr<Transport> maildir_transport(const std::string& dir);
// Prints each mail to out, separated by an mbox "From " line.
std::unique_ptr<Transport> stream_transport(std::FILE* out);

}  // namespace kci::notify
