// SPDX-License-Identifier: LGPL-2.1-or-later
// Filling a KCIDB checkout (report::Checkout) from what a source gives: git
// URLs of any kind, Message-IDs of any shape, commit messages in any
// encoding, long git am logs. Each setter keeps the checkout valid KCIDB
// v5.3: what KCIDB would reject goes to misc instead of being dropped, and
// the getters read it back from either place.
//
// misc is a JSON object in the model (text); these helpers are the one
// place that edits it for checkouts.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "report/model.h"

namespace kci::pipeline {

using report::kMaxLogExcerpt;

// An https:// URL is git_repository_url; any other (file://, a local path,
// git://) goes to misc.git_repository_url, so local trees give valid reports.
void set_repository_url(report::Checkout& checkout, const std::string& url);
// The URL as set: git_repository_url, else misc.git_repository_url, else "".
std::string repository_url(const report::Checkout& checkout);

// KCIDB checks message_id as an e-mail address; a Message-ID that is not one
// goes to misc.message_id. Replaces any earlier one.
void set_message_id(report::Checkout& checkout, const std::string& message_id);
// message_id, else misc.message_id, else "".
std::string message_id(const report::Checkout& checkout);

// Invalid UTF-8 becomes U+FFFD.
void set_commit_message(report::Checkout& checkout, const std::string& message);

// Cut to kMaxLogExcerpt keeping the end (where git puts the reason), never
// starting inside a UTF-8 sequence.
void set_log_excerpt(report::Checkout& checkout, const std::string& text);

// patchset_files: (name, url) pairs, as KCIDB resources.
void set_patchset_files(report::Checkout& checkout,
                        const std::vector<std::pair<std::string, std::string>>& files);
std::vector<std::pair<std::string, std::string>> patchset_files(const report::Checkout& checkout);

// misc.<key> as a string (replacing any earlier value) and read back ("" when
// absent or not a string).
void set_misc(report::Checkout& checkout, const std::string& key, const std::string& value);
std::string misc_string(const report::Checkout& checkout, const std::string& key);

// Recipients of a patch series: misc.contacts, an array (KCIDB v5 has no
// contacts field; notify threads its reports to them).
void set_contacts(report::Checkout& checkout, const std::vector<std::string>& contacts);
std::vector<std::string> contacts(const report::Checkout& checkout);

// A report of these checkouts.
report::Report checkout_report(std::vector<report::Checkout> checkouts);

// Invalid UTF-8 sequences replaced by U+FFFD.
std::string valid_utf8(const std::string& text);

}  // namespace kci::pipeline
