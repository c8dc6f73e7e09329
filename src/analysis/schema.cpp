// SPDX-License-Identifier: LGPL-2.1-or-later
#include "analysis/schema.h"

namespace kci::analysis {

namespace {

// The same text for both drivers: TEXT and BIGINT columns, 0/1 flags.
const char* const kV1 = R"SQL(
CREATE TABLE analysis_checkouts (
  id TEXT PRIMARY KEY,
  origin TEXT NOT NULL,
  tree_name TEXT NOT NULL,
  git_repository_url TEXT NOT NULL,
  git_repository_branch TEXT NOT NULL,
  git_commit_hash TEXT NOT NULL,
  describe TEXT NOT NULL,
  order_time TEXT NOT NULL
);
CREATE INDEX analysis_checkouts_branch
  ON analysis_checkouts (tree_name, git_repository_branch, order_time);
CREATE TABLE analysis_results (
  kind TEXT NOT NULL,
  object_id TEXT NOT NULL,
  identity_key TEXT NOT NULL,
  checkout_id TEXT NOT NULL,
  order_time TEXT NOT NULL,
  start_time TEXT NOT NULL,
  status TEXT NOT NULL,
  lab TEXT NOT NULL,
  PRIMARY KEY (kind, object_id)
);
CREATE INDEX analysis_results_identity ON analysis_results (identity_key);
CREATE INDEX analysis_results_checkout ON analysis_results (checkout_id, kind);
CREATE TABLE analysis_identities (
  key TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  origin TEXT NOT NULL,
  tree_name TEXT NOT NULL,
  git_repository_url TEXT NOT NULL,
  git_repository_branch TEXT NOT NULL,
  architecture TEXT NOT NULL,
  config_name TEXT NOT NULL,
  compiler TEXT NOT NULL,
  path TEXT NOT NULL,
  platform TEXT NOT NULL,
  results BIGINT NOT NULL,
  pass BIGINT NOT NULL,
  fail BIGINT NOT NULL,
  infra BIGINT NOT NULL,
  neutral BIGINT NOT NULL,
  last_status TEXT NOT NULL,
  unstable BIGINT NOT NULL,
  flips BIGINT NOT NULL,
  summary TEXT NOT NULL,
  state TEXT NOT NULL
);
CREATE INDEX analysis_identities_tree
  ON analysis_identities (tree_name, git_repository_branch, path);
CREATE TABLE analysis_regressions (
  id TEXT PRIMARY KEY,
  identity_key TEXT NOT NULL,
  tree_name TEXT NOT NULL,
  git_repository_branch TEXT NOT NULL,
  active BIGINT NOT NULL,
  reported BIGINT NOT NULL,
  unstable BIGINT NOT NULL,
  fail_count BIGINT NOT NULL,
  failing_since_days BIGINT NOT NULL,
  last_pass_id TEXT NOT NULL,
  last_pass_checkout TEXT NOT NULL,
  first_fail_id TEXT NOT NULL,
  first_fail_checkout TEXT NOT NULL,
  last_fail_id TEXT NOT NULL,
  last_fail_checkout TEXT NOT NULL,
  fixed_by_id TEXT,
  fixed_by_checkout TEXT,
  first_fail_time TEXT NOT NULL,
  summary TEXT NOT NULL
);
CREATE INDEX analysis_regressions_tree
  ON analysis_regressions (active, tree_name, git_repository_branch);
CREATE INDEX analysis_regressions_identity ON analysis_regressions (identity_key);
CREATE TABLE analysis_summary (
  checkout_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  platform TEXT NOT NULL,
  architecture TEXT NOT NULL,
  lab TEXT NOT NULL,
  compiler TEXT NOT NULL,
  config_name TEXT NOT NULL,
  status TEXT NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (checkout_id, kind, platform, architecture, lab, compiler, config_name, status)
)
)SQL";

// The git order key of a checkout (git_order.h), copied to its results.
const char* const kV2 = R"SQL(
ALTER TABLE analysis_checkouts ADD COLUMN order_key TEXT NOT NULL DEFAULT '';
ALTER TABLE analysis_results ADD COLUMN order_key TEXT NOT NULL DEFAULT ''
)SQL";

}  // namespace

const std::vector<store::Migration>& migrations() {
  static const std::vector<store::Migration> list = {
      {1, "analysis: checkouts, results by identity, identities, regressions, summaries", kV1, kV1},
      {2, "analysis: checkouts ordered by git ancestry (order_key)", kV2, kV2},
  };
  return list;
}

void migrate(store::SqlConnection& sql) { sql.apply_migrations(kComponent, migrations()); }

}  // namespace kci::analysis
