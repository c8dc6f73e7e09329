// SPDX-License-Identifier: LGPL-2.1-or-later
// Mailboxes and patch series: an mbox split into messages as `kci
// checkout --mbox` does (pipeline::split_mbox, patchset_hash), each message
// parsed as `kci inbox` reads it from a public-inbox archive
// (inbox::parse_message, header decoding, subject tags, trailers, touched
// files, base commit) and the messages assembled into series
// (inbox::assemble). Invariants: nothing throws for any bytes; split
// messages are pieces of the text; every series part is in range.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz.h"
#include "inbox/message.h"
#include "inbox/series.h"
#include "pipeline/source/patchset.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kci;
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<pipeline::MboxMessage> split = pipeline::split_mbox(text);
  std::vector<std::string> patches;
  std::vector<inbox::Message> messages;
  std::size_t total = 0;
  for (const pipeline::MboxMessage& m : split) {
    total += m.text.size();
    if (m.is_patch) patches.push_back(m.text);
    if (messages.size() < 64) messages.push_back(inbox::parse_message(m.text));
  }
  KCI_FUZZ_CHECK(total <= text.size());
  KCI_FUZZ_CHECK(pipeline::patchset_hash(patches).size() == (patches.empty() ? 0 : 64));
  if (messages.empty()) messages.push_back(inbox::parse_message(text));

  for (const inbox::Message& m : messages) {
    KCI_FUZZ_CHECK(m.body_offset <= m.raw.size());
    inbox::Subject s = inbox::parse_subject(m.subject);
    KCI_FUZZ_CHECK(s.part >= 0);
    inbox::has_diff(m.body());
    inbox::find_trailers(m.body());
    inbox::touched_files(m.body());
    inbox::find_base_commit(m.body());
    inbox::worth_keeping(m);
    inbox::parse_addresses(m.to);
    inbox::header_value(m.raw, "X-Mailer");
  }
  inbox::Assembly assembly = inbox::assemble(messages);
  for (const inbox::Series& series : assembly.series) {
    KCI_FUZZ_CHECK(series.total >= 1);
    for (int part : series.missing) KCI_FUZZ_CHECK(part >= 1 && part <= series.total);
    series.message_id();
    series.patches();
  }
  return 0;
}
