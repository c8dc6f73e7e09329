// SPDX-License-Identifier: LGPL-2.1-or-later
// kci token add | list | revoke: the bearer tokens of the submission
// service. A token is printed once, when added; only its hash is kept.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "report/patterns.h"
#include "server/tokens.h"
#include "store/store.h"

namespace kci::cli {

namespace {

struct TokenOptions {
  std::optional<std::string> database;
  std::vector<std::string> origins;
  bool admin = false;
  std::string comment;
  std::string role = "submitter";
  std::string id;
};

std::unique_ptr<server::TokenStore> open_tokens(const TokenOptions& o,
                                                std::unique_ptr<store::Store>& db) {
  db = store::open_store(store::database_spec_from(o.database));
  db->init(true);
  return server::TokenStore::open(*db);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

void register_token(CLI::App& root, RunContext& ctx) {
  auto o = std::make_shared<TokenOptions>();
  auto* token = root.add_subcommand("token", "Manage the submission service's bearer tokens");
  token->require_subcommand(1);
  auto add_db = [&](CLI::App* cmd) {
    cmd->add_option("-d,--database", o->database, "Database spec (default: $KCI_DATABASE)");
  };

  auto* add = token->add_subcommand(
      "add", "Make a token; it is printed once (last line of stdout), only its hash is kept");
  add_db(add);
  add->add_option("--origin", o->origins, "An origin the token may write (repeatable)");
  add->add_flag("--admin", o->admin, "The token may write any origin");
  add->add_option("--comment", o->comment, "Who or what the token is for (shown in logs)");
  add->add_option("--role", o->role,
                  "submitter: POST /submit; worker: a pull worker (kci worker) claiming jobs "
                  "and sending their results for its origins; lava: the secret a LAVA lab sends "
                  "to POST /callback/lava")
      ->default_val("submitter")
      ->check(CLI::IsMember({"submitter", "worker", "lava"}));
  add->callback([o] {
    if (o->origins.empty() && !o->admin) {
      throw UsageError("token add: give --origin NAME (repeatable) or --admin");
    }
    // An origin KCIDB refuses could never be written with the token; an
    // empty one or one with a space is a typing mistake worth hearing about.
    for (const std::string& origin : o->origins) {
      if (!report::matches(report::Pattern::kOrigin, origin) || origin.back() == '\n') {
        throw UsageError("token add: --origin '" + origin +
                         "' is not a KCIDB origin (one or more of a-z 0-9 _)");
      }
    }
    if (o->comment.size() > 1024) throw UsageError("token add: --comment is limited to 1 KiB");
    // kci token list prints one token a line.
    for (char c : o->comment) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        throw UsageError("token add: --comment may not hold control characters (newlines, tabs)");
      }
    }
    std::unique_ptr<store::Store> db;
    auto tokens = open_tokens(*o, db);
    server::TokenInfo info;
    std::string secret =
        tokens->add(o->origins, o->admin, o->comment, &info, server::parse_role(o->role));
    std::printf("id: %s\norigins: %s\n", info.id.c_str(),
                info.admin ? "* (admin)" : join(info.origins).c_str());
    if (info.role != server::TokenRole::kSubmitter) {
      std::printf("role: %s\n", std::string(server::role_name(info.role)).c_str());
    }
    std::printf("%s\n", secret.c_str());
  });

  auto* list = token->add_subcommand("list", "List tokens (id, origins, state, comment)");
  add_db(list);
  list->callback([o] {
    std::unique_ptr<store::Store> db;
    auto tokens = open_tokens(*o, db);
    for (const auto& t : tokens->list()) {
      std::printf("%s\t%s\t%s\t%s\t%s\t%s\n", t.id.c_str(), t.admin ? "*" : join(t.origins).c_str(),
                  std::string(server::role_name(t.role)).c_str(), t.created_at.c_str(),
                  t.revoked_at ? ("revoked " + *t.revoked_at).c_str() : "active",
                  t.comment.c_str());
    }
  });

  auto* revoke = token->add_subcommand("revoke", "Revoke a token by its id");
  add_db(revoke);
  revoke->add_option("id", o->id, "The token's id (from token add / token list)")->required();
  revoke->callback([o, &ctx] {
    std::unique_ptr<store::Store> db;
    auto tokens = open_tokens(*o, db);
    if (!tokens->revoke(o->id)) {
      std::fprintf(stderr, "kci token revoke: no active token with id %s\n", o->id.c_str());
      ctx.exit_status = kExitInvalidInput;
    }
  });
}

}  // namespace

KCI_COMMAND(52, register_token);

}  // namespace kci::cli
