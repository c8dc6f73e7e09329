// SPDX-License-Identifier: LGPL-2.1-or-later
// `kci compare | regressions | history | summary | analyze`: the analysis
// layer's questions and its catch-up, as thin shells over src/analysis.
// JSON on stdout (one document, or JSON lines for regressions); --format
// table for people where it makes sense.
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "analysis/analyzer.h"
#include "analysis/follow.h"
#include "analysis/output.h"
#include "analysis/queries.h"
#include "analysis/schema.h"
#include "cli/command.h"
#include "ingest/change_log.h"
#include "store/sql.h"
#include "store/store.h"
#include "triage/known_regressions.h"
#include "util/error.h"

namespace kci::cli {

namespace {

void add_database_option(CLI::App* cmd, std::optional<std::string>& database) {
  cmd->add_option("-d,--database", database,
                  "Database: sqlite:PATH or postgresql:CONNINFO (default: $KCI_DATABASE)");
}

// A connection to an initialised database with the analysis tables.
std::unique_ptr<store::SqlConnection> open_sql(const std::optional<std::string>& database) {
  auto spec = store::database_spec_from(database);
  auto sql = store::SqlConnection::open(spec);
  analysis::migrate(*sql);
  return sql;
}

void print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (text.empty() || text.back() != '\n') std::fputc('\n', stdout);
  std::fflush(stdout);
}

void add_format_option(CLI::App* cmd, std::string& format) {
  cmd->add_option("--format", format, "Output format: json or table")
      ->default_val("json")
      ->check(CLI::IsMember({"json", "table"}));
}

void add_compare(CLI::App& root) {
  struct O {
    std::optional<std::string> database;
    std::string a, b, format;
    bool builds = false;
  };
  auto o = std::make_shared<O>();
  auto* cmd = root.add_subcommand(
      "compare",
      "Compare the tests (or builds) of two checkouts: regression, fixed, still_failing, "
      "new_failure, new_pass, appeared, disappeared, inconclusive");
  add_database_option(cmd, o->database);
  cmd->add_option("checkout_a", o->a, "The earlier checkout id")->required();
  cmd->add_option("checkout_b", o->b, "The later checkout id")->required();
  cmd->add_flag("--builds", o->builds, "Compare builds instead of tests");
  add_format_option(cmd, o->format);
  cmd->callback([o] {
    auto sql = open_sql(o->database);
    auto r = analysis::compare(*sql, o->a, o->b,
                               o->builds ? analysis::Kind::kBuild : analysis::Kind::kTest);
    print(o->format == "table" ? analysis::compare_table(r) : analysis::compare_json(r));
  });
}

void add_regressions(CLI::App& root) {
  struct O {
    std::optional<std::string> database;
    analysis::RegressionFilter filter;
    bool exclude_known = false;
  };
  auto o = std::make_shared<O>();
  auto* cmd = root.add_subcommand(
      "regressions",
      "Print the active regressions (PASS -> FAIL per identity), one JSON object a line");
  add_database_option(cmd, o->database);
  cmd->add_option("--tree", o->filter.tree, "Only this tree_name");
  cmd->add_option("--branch", o->filter.branch, "Only this git_repository_branch");
  cmd->add_option("--origin", o->filter.origin, "Only this origin");
  cmd->add_flag("--all", o->filter.all,
                "Also closed regressions, and those of unstable identities not yet reported");
  cmd->add_flag("--exclude-known", o->exclude_known,
                "Leave out regressions whose failing builds/tests show a known issue (triage "
                "incidents)");
  cmd->callback([o] {
    auto sql = open_sql(o->database);
    std::string out;
    auto found = analysis::regressions(*sql, o->filter);
    if (o->exclude_known) {
      auto st = store::open_store(sql->spec());
      found = triage::exclude_known(*st, std::move(found));
    }
    for (const auto& r : found) out += analysis::regression_json(r) + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  });
}

void add_history(CLI::App& root, RunContext& ctx) {
  struct O {
    std::optional<std::string> database, test, build;
    analysis::IdentityQuery q;
    bool builds = false;
    std::string format;
  };
  auto o = std::make_shared<O>();
  auto* cmd = root.add_subcommand(
      "history",
      "Print the status history of an identity: of a test or build id, or of the identities "
      "matching the given fields (one JSON document a line)");
  add_database_option(cmd, o->database);
  auto* test = cmd->add_option("--test", o->test, "The identity of this test id");
  auto* build = cmd->add_option("--build", o->build, "The identity of this build id");
  test->excludes(build);
  cmd->add_option("--origin", o->q.origin, "Identity: origin");
  cmd->add_option("--tree", o->q.tree, "Identity: tree_name");
  cmd->add_option("--branch", o->q.branch, "Identity: git_repository_branch");
  cmd->add_option("--arch", o->q.architecture, "Identity: architecture");
  cmd->add_option("--config", o->q.config_name, "Identity: config_name");
  cmd->add_option("--compiler", o->q.compiler, "Identity: compiler");
  cmd->add_option("--path", o->q.path, "Identity: test path");
  cmd->add_option("--platform", o->q.platform, "Identity: platform");
  cmd->add_flag("--builds", o->builds, "With identity fields: build identities");
  add_format_option(cmd, o->format);
  cmd->callback([o, &ctx] {
    auto sql = open_sql(o->database);
    std::vector<analysis::IdentityInfo> ids;
    if (o->test || o->build) {
      auto kind = o->test ? analysis::Kind::kTest : analysis::Kind::kBuild;
      const std::string& id = o->test ? *o->test : *o->build;
      auto info = analysis::identity_of(*sql, kind, id);
      if (!info)
        throw InvalidInputError(std::string(analysis::kind_name(kind)) + " '" + id +
                                "' is not in the analysis (unknown, or run `kci analyze`)");
      ids.push_back(*info);
    } else {
      const auto& q = o->q;
      if (!q.origin && !q.tree && !q.branch && !q.architecture && !q.config_name && !q.compiler &&
          !q.path && !q.platform)
        throw UsageError("history: give --test, --build or identity options (--path, --tree ...)");
      o->q.kind = o->builds ? analysis::Kind::kBuild : analysis::Kind::kTest;
      ids = analysis::find_identities(*sql, o->q);
      if (ids.empty()) {
        std::fprintf(stderr, "kci: history: no identity matches\n");
        ctx.exit_status = kExitInvalidInput;
        return;
      }
    }
    std::string out;
    for (const auto& info : ids) {
      auto h = analysis::history(*sql, info);
      out += o->format == "table" ? analysis::history_table(h) : analysis::history_json(h) + "\n";
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  });
}

void add_summary(CLI::App& root) {
  struct O {
    std::optional<std::string> database;
    std::string checkout, format;
  };
  auto o = std::make_shared<O>();
  auto* cmd = root.add_subcommand(
      "summary",
      "Print a checkout's builds/boots/tests by status and the per platform | arch | lab | "
      "compiler | defconfig results table");
  add_database_option(cmd, o->database);
  cmd->add_option("checkout", o->checkout, "The checkout id")->required();
  add_format_option(cmd, o->format);
  cmd->callback([o] {
    auto sql = open_sql(o->database);
    auto s = analysis::summary(*sql, o->checkout);
    if (!s)
      throw InvalidInputError("checkout '" + o->checkout +
                              "' is not in the analysis (unknown, or run `kci analyze`)");
    print(o->format == "table" ? analysis::summary_table(*s) : analysis::summary_json(*s));
  });
}

void add_analyze(CLI::App& root) {
  struct O {
    std::optional<std::string> database;
    bool rebuild = false, follow = false;
    double interval = 1.0;
    std::size_t batch = 200;
    std::vector<std::string> repos;
    std::optional<std::string> mirrors;
  };
  auto o = std::make_shared<O>();
  auto* cmd = root.add_subcommand(
      "analyze",
      "Bring the analysis tables up to date from the change log (only what the new events "
      "touched, from the consumer cursor \"analysis\"), or recompute them with --rebuild");
  add_database_option(cmd, o->database);
  cmd->add_flag("--rebuild", o->rebuild,
                "Recompute every analysis table from the stored objects (the cursor moves to "
                "the newest event)");
  cmd->add_flag("--follow", o->follow, "Keep waiting for new change events (until interrupted)");
  cmd->add_option("--interval", o->interval, "With --follow: seconds between polls of the log")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 3600.0));
  cmd->add_option("--batch", o->batch, "Change events applied per update transaction at most")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--repo", o->repos,
                  "URL=PATH: order the checkouts of this git_repository_url by git ancestry in "
                  "the repository at PATH (repeatable)");
  cmd->add_option("--mirrors", o->mirrors,
                  "Order checkouts by git ancestry in the monitor's mirrors (STATE/mirrors, "
                  "one TREE.git per tree_name); default $KCI_MIRRORS");
  cmd->callback([o] {
    auto spec = store::database_spec_from(o->database);
    analysis::AnalysisOptions options;
    options.repositories = analysis::repositories_from_env();
    for (const auto& r : o->repos) {
      auto eq = r.rfind('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == r.size())
        throw UsageError("--repo needs URL=PATH, got '" + r + "'");
      options.repositories.by_url[r.substr(0, eq)] = r.substr(eq + 1);
    }
    if (o->mirrors) options.repositories.mirrors = *o->mirrors;
    auto st = store::open_store(spec);
    auto sql = store::SqlConnection::open(spec);
    analysis::Analyzer analyzer(*st, *sql, options);
    ingest::ChangeLog log(*sql);
    auto report = [](const analysis::FollowStats& s) {
      std::fprintf(stderr, "kci: analyze: %s\n", s.describe().c_str());
    };
    if (o->rebuild) report(analysis::rebuild_and_mark(analyzer, log));
    report(analysis::catch_up(analyzer, log, analysis::kAnalysisConsumer, 0, o->batch));
    while (o->follow) {
      std::this_thread::sleep_for(std::chrono::duration<double>(o->interval));
      analysis::FollowStats s =
          analysis::catch_up(analyzer, log, analysis::kAnalysisConsumer, 0, o->batch);
      if (s.events || s.rebuilt) report(s);
    }
  });
}

void register_analysis(CLI::App& root, RunContext& ctx) {
  add_analyze(root);
  add_compare(root);
  add_regressions(root);
  add_history(root, ctx);
  add_summary(root);
}

}  // namespace

KCI_COMMAND(32, register_analysis);

}  // namespace kci::cli
