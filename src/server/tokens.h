// SPDX-License-Identifier: LGPL-2.1-or-later
// Submission tokens. A token is shown once, when made; the database keeps
// only its SHA-256 (tokens are 256 random bits, so a plain hash cannot be
// reversed by guessing). Each token lists the origins it may write, or is
// an admin token that may write any origin. A token has one role, which
// says which routes it opens: submitter (POST /submit, the default),
// worker (the pull-worker routes /api/v1/worker/...) or lava (POST
// /callback/lava, the secret a LAVA lab sends back); an admin token opens
// every route. The table lives in the store's
// database as the "tokens" component, created through
// Store::apply_migrations; queries go through a store::SqlConnection of this
// module's own, always with bound parameters.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace kci::server {

// What a token may do (see above).
enum class TokenRole { kSubmitter, kWorker, kLava };
std::string_view role_name(TokenRole role);
// Throws UsageError for an unknown name.
TokenRole parse_role(std::string_view name);

struct TokenInfo {
  std::string id;  // public handle for list/revoke/logs: not secret
  std::vector<std::string> origins;
  bool admin = false;
  TokenRole role = TokenRole::kSubmitter;
  std::string comment;
  std::string created_at;
  std::optional<std::string> revoked_at;

  bool may_write(const std::string& origin) const;
  // Whether the token opens the routes of `r` (its own role, or admin).
  bool has_role(TokenRole r) const { return admin || role == r; }
  // What logs show for the submitter: the comment if any, else the id.
  std::string label() const;
};

// Longest token accepted in a request (a longer Authorization is refused
// without hashing it).
inline constexpr std::size_t kMaxTokenBytes = 256;

class TokenStore {
 public:
  virtual ~TokenStore() = default;

  // Creates the tokens table in the store's database (if missing) and
  // connects to it. Throws store::StoreError.
  static std::unique_ptr<TokenStore> open(store::Store& store);

  // Makes a token; returns it (the only time it exists in clear) and fills
  // *info with what was stored.
  virtual std::string add(const std::vector<std::string>& origins, bool admin,
                          const std::string& comment, TokenInfo* info,
                          TokenRole role = TokenRole::kSubmitter) = 0;
  virtual std::vector<TokenInfo> list() = 0;
  // Marks a token revoked; false if no such (unrevoked) id.
  virtual bool revoke(const std::string& id) = 0;
  // The token's record if it is known and not revoked.
  virtual std::optional<TokenInfo> authenticate(std::string_view token) = 0;
};

// The migrations of the "tokens" component (public for tests).
const std::vector<store::Migration>& token_migrations();

// The bearer token of an Authorization header value, or empty.
std::string bearer_token(std::string_view authorization);

}  // namespace kci::server
