// SPDX-License-Identifier: LGPL-2.1-or-later
// Keeps the analysis tables (schema.h) up to date: from the ids of an ingest
// change event (incremental), or from every object of the store (rebuild).
// Both paths compute each row with the same functions, so they give the same
// tables; the incremental one reads only the objects named by the event, the
// children of checkouts and builds that are new or changed, and the history
// of the identities those results belong to.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include "analysis/history.h"
#include "ingest/change_event.h"
#include "store/sql.h"
#include "store/store.h"

namespace kci::analysis {

struct UpdateStats {
  std::size_t results = 0;     // result rows written (new or changed)
  std::size_t identities = 0;  // identities recomputed
  std::size_t checkouts = 0;   // checkout summaries recomputed
  std::string describe() const;
};

class Analyzer {
 public:
  // `sql` must be a connection to the database of `store`; the analysis
  // migrations are applied to it.
  Analyzer(store::Store& store, store::SqlConnection& sql, AnalysisOptions options = {});

  // Brings the tables up to date with the objects an ingest changed, in one
  // transaction. Idempotent: an event applied twice changes nothing.
  UpdateStats update(const ingest::ObjectsChanged& event);
  // Recomputes every table from the store's objects, in one transaction.
  UpdateStats rebuild(std::size_t objects_per_chunk = 50000);

  const AnalysisOptions& options() const { return options_; }
  store::SqlConnection& sql() { return sql_; }
  // git processes started for the git order so far (git_order.h).
  int git_calls() const {
    int n = 0;
    for (const auto& [path, repo] : git_) n += repo->calls();
    return n;
  }

 private:
  store::Store& store_;
  store::SqlConnection& sql_;
  AnalysisOptions options_;
  std::map<std::string, std::unique_ptr<GitRepo>> git_;  // by path (options_.repositories)
};

// The analysis tables' rows, sorted, one line per row with tab-separated
// columns: for tests that compare an incremental update with a rebuild.
std::string dump_tables(store::SqlConnection& sql);

}  // namespace kci::analysis
