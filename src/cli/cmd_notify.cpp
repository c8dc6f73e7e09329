// SPDX-License-Identifier: LGPL-2.1-or-later
// kci notify: email reports. `kci notify render FILE...` prints the mail
// of report data files (the golden-file inputs of src/notify/testdata).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "notify/mail.h"
#include "notify/report_json.h"
#include "util/error.h"
#include "util/file.h"

namespace kci::cli {
namespace {

struct RenderOptions {
  std::vector<std::string> files;
  std::string to_override;
};

void register_notify(CLI::App& root, RunContext&) {
  auto* notify = root.add_subcommand("notify", "Email reports to subscribers");
  notify->require_subcommand(1);

  auto ro = std::make_shared<RenderOptions>();
  auto* render = notify->add_subcommand(
      "render", "Print the mail of report data files (JSON: kind, data, mail fields)");
  render->add_option("FILE", ro->files, "Report data files")->required();
  render->add_option("--to-override", ro->to_override, "Send to this address instead");
  render->callback([ro] {
    for (const auto& f : ro->files) {
      notify::ReportInput in = notify::parse_report_input(read_input_file(f, 64 << 20), f);
      notify::MailContext c;
      c.subscription = in.subscription;
      // An address of the file names its place in it.
      auto address = [&f](const std::string& text, const std::string& pointer) {
        try {
          return notify::parse_address(text);
        } catch (const InvalidInputError& e) {
          throw InvalidInputError(f + ": " + pointer + ": " + e.what());
        }
      };
      c.from = address(in.from, "/from");
      if (!ro->to_override.empty()) {
        c.to = {notify::parse_address(ro->to_override)};
      } else {
        for (std::size_t i = 0; i < in.to.size(); ++i) {
          c.to.push_back(address(in.to[i], "/to/" + std::to_string(i)));
        }
      }
      c.domain = in.domain;
      c.date = in.date;
      c.in_reply_to = in.in_reply_to;
      std::string mail = notify::render_message(compose_mail(notify::render_input(in), c));
      std::fwrite(mail.data(), 1, mail.size(), stdout);
    }
  });
}

}  // namespace

KCI_COMMAND(71, register_notify);

}  // namespace kci::cli
