// SPDX-License-Identifier: LGPL-2.1-or-later
// Patch series from mailing-list messages, assembled as maintainers' tools
// (b4) do: patches grouped by thread and "[PATCH vN M/T]" numbering, the
// newest revision kept, a series complete when all T parts have arrived,
// the cover letter (0/T) taken, trailers sent as replies (Reviewed-by,
// Acked-by, Tested-by...) collected, and what is not a patch (replies,
// pull requests, bot mail) left out.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inbox/message.h"

namespace kci::inbox {

// What a subject says: "Re: [RFC PATCH net-next v2 3/7] net: fix foo".
struct Subject {
  bool reply = false;  // "Re:" / "Aw:" / "Fwd:" in front
  bool patch = false;  // a [PATCH ...] tag
  bool pull = false;   // [GIT PULL] / [PULL]
  bool rfc = false;
  int revision = 1;                   // vN
  int part = 0;                       // M of M/T (0 for a cover letter or a lone patch)
  int total = 0;                      // T (0 for a lone patch without numbering)
  std::vector<std::string> prefixes;  // other tag words: "net-next", "bpf"...
  std::string title;                  // the subject after the tags
};

Subject parse_subject(std::string_view subject);

// True when the message's body holds a diff git am can apply.
bool has_diff(std::string_view body);

// The trailers of a message body ("Reviewed-by: A <a@x>"), quoted lines
// ("> ...") left out; each as written, without the line end.
std::vector<std::string> find_trailers(std::string_view body);

// The files a patch touches ("diff --git a/X b/X": X, and the new name of
// a rename).
std::vector<std::string> touched_files(std::string_view body);

// "base-commit: <hex>" in a body; "" if none.
std::string find_base_commit(std::string_view body);

struct Series {
  std::string id;      // "<root message-id>#v<revision>": the series' key
  std::string title;   // cover letter's title, else the first patch's
  std::string author;  // From of the cover letter / first patch
  int revision = 1;
  int total = 0;  // T (1 for a lone patch)
  bool rfc = false;
  std::vector<std::string> prefixes;
  std::vector<Message> messages;  // cover letter first (when there is one), then parts 1..T present
  bool has_cover = false;
  std::vector<int> missing;  // parts not arrived
  bool complete() const { return missing.empty(); }
  // Trailers from replies: the part they answer (0: the cover letter, for
  // the whole series) and the trailer line.
  std::vector<std::pair<int, std::string>> trailers;
  std::string base_commit;            // from a base-commit: line, "" if none
  std::vector<std::string> files;     // touched by the patches, sorted, unique
  std::vector<std::string> contacts;  // From, To and Cc of the series' messages, sorted, unique
  std::int64_t first_date = 0;        // Date of the earliest message
  std::int64_t last_date = 0;
  std::vector<std::string> superseded;  // ids of older revisions this one replaces

  // The message the series is known by: the cover letter, else the last patch.
  std::string message_id() const;
  // The patches (parts 1..T present), in order.
  std::vector<const Message*> patches() const;
};

// Why a message is not part of any series.
struct Skipped {
  std::string message_id;
  std::string reason;  // "reply", "pull request", "automated", "not a patch", "superseded"...
};

struct Assembly {
  std::vector<Series> series;      // newest revisions, in order of their first message
  std::vector<Series> superseded;  // older revisions of a series in `series`
  std::vector<Skipped> skipped;
  // Replies (by message-id) that answer a patch or cover letter of a series
  // and carry trailers.
  std::vector<std::string> trailer_replies;
};

// Groups the messages (in archive order) into series.
Assembly assemble(const std::vector<Message>& messages);

// True when a message may matter to a series later (a patch, a cover
// letter, or a reply carrying trailers): what a watcher keeps while a
// series is incomplete.
bool worth_keeping(const Message& message);

}  // namespace kci::inbox
