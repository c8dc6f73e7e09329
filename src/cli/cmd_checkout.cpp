// SPDX-License-Identifier: LGPL-2.1-or-later
// kci checkout: apply a patch series on a base commit and report it as a
// KCIDB checkout (see src/pipeline/source/patchset.h).
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "pipeline/source/patchset.h"
#include "report/stream.h"

namespace kci::cli {

namespace {

void register_checkout(CLI::App& root, RunContext&) {
  struct Options {
    pipeline::PatchsetOptions patchset;
    int indent = 4;
    bool seq_out = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = root.add_subcommand(
      "checkout", "Apply a patch series on a base commit and print it as a KCIDB checkout");
  cmd->footer(
      "The series is applied with git am in a temporary detached worktree: your branches and\n"
      "working tree are not touched. The checkout has patchset_files, patchset_hash (KCIDB's\n"
      "definition) and message_id. A series that does not apply gives valid: false with git am's\n"
      "error in log_excerpt, and exit status 0: the report is a valid result.");
  cmd->add_option("--mbox", o->patchset.mbox_files,
                  "mbox or patch file (git format-patch output), repeatable, in order")
      ->required();
  cmd->add_option("--base", o->patchset.base, "Commit (or any revision) to apply the series on")
      ->required();
  cmd->add_option("--repo", o->patchset.repo, "Git repository holding the base commit")
      ->default_val(".");
  cmd->add_option("--origin", o->patchset.origin, "KCIDB origin")
      ->default_val("kci")
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            for (char c : value) {
              if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
                return "origin must match ^[a-z0-9_]+$";
              }
            }
            return value.empty() ? "origin must not be empty" : "";
          },
          "ORIGIN"));
  cmd->add_option("--tree-name", o->patchset.tree_name, "tree_name of the checkout");
  cmd->add_option("--branch", o->patchset.branch, "git_repository_branch of the checkout");
  cmd->add_option("--git-url", o->patchset.repository_url,
                  "Repository URL to report (default: the repo's 'origin' remote, else file://; "
                  "only https:// goes to git_repository_url, others to misc)");
  cmd->add_option("--patch-base-url", o->patchset.patch_base_url,
                  "Patches are published under this URL: url = BASE/name");
  cmd->add_option("--patch-dir", o->patchset.patch_dir,
                  "Write each patch of the series here and point file:// URLs at them");
  cmd->add_option("--indent", o->indent, "Indent output by N spaces, 0 = one line")
      ->default_val(4)
      ->check(CLI::Range(0, 16));
  cmd->add_flag("--seq-out,--seq", o->seq_out, "Write an RFC 7464 JSON text sequence");
  cmd->callback([o] {
    report::Checkout checkout = pipeline::apply_patchset(o->patchset);
    if (checkout.valid && !*checkout.valid) {
      std::fprintf(stderr, "kci checkout: the series does not apply on %s (valid: false)\n",
                   checkout.git_commit_hash.value_or("").c_str());
    }
    json::Document report;
    report::to_json(pipeline::checkout_report({checkout}), report, false);
    std::string out;
    report::write_value(report, o->indent, o->seq_out, out);
    std::fwrite(out.data(), 1, out.size(), stdout);
  });
}

}  // namespace

KCI_COMMAND(42, register_checkout);

}  // namespace kci::cli
