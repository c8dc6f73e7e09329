// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <stdexcept>
#include <string>

namespace kci {

// The base of every error kci reports to a user. Each layer derives its own
// type so callers can tell a bad report from a broken database; the message
// must say what is wrong and where (file, line, JSON pointer) so the user can
// act on it without reading the code.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Options or arguments that cannot be used as given (exit status 2).
class UsageError : public Error {
 public:
  using Error::Error;
};

// Data that is wrong: malformed JSON, an invalid report, a report that
// cannot be upgraded (exit status 1).
class InvalidInputError : public Error {
 public:
  using Error::Error;
};

}  // namespace kci
