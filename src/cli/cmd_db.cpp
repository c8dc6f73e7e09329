// SPDX-License-Identifier: LGPL-2.1-or-later
// `kci db ...`: the store commands with the habits of kcidb's db tools
// (kcidb-db-init, -load, -dump, -query, -purge, -empty, -cleanup). Reports
// are read from files or stdin and printed on stdout; -d names the
// database (default: $KCI_DATABASE).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/command.h"
#include "ingest/change_log.h"
#include "ingest/loader.h"
#include "report/stream.h"
#include "report/upgrade.h"
#include "report/validate.h"
#include "store/store.h"
#include "util/file.h"

namespace kci::cli {

namespace {

struct DbOptions {
  std::optional<std::string> database;
  std::vector<std::string> files;
  bool seq_in = false;
  bool seq_out = false;
  int indent = 4;
  std::size_t objects_per_report = 0;
  bool with_metadata = false;
  bool without_metadata = false;
  bool ignore = false;
  std::optional<std::string> after, until, before;
  std::vector<std::string> checkouts, builds, tests, issues, incidents;
  std::vector<std::int64_t> issue_versions;
  bool parents = false, children = false;
};

void add_database_option(CLI::App* cmd, DbOptions& o) {
  cmd->add_option("-d,--database", o.database,
                  "Database: sqlite:PATH, sqlite::memory: or postgresql:CONNINFO "
                  "(default: $KCI_DATABASE)");
}

void add_output_options(CLI::App* cmd, DbOptions& o) {
  cmd->add_option("--indent", o.indent, "Indent output by N spaces, 0 = one line")
      ->default_val(4)
      ->check(CLI::Range(0, 16));
  cmd->add_flag("--seq-out,--seq", o.seq_out, "Write an RFC 7464 JSON text sequence");
  cmd->add_option("-o,--objects-per-report", o.objects_per_report,
                  "Split output into reports of at most N objects (0 = one report)");
}

std::unique_ptr<store::Store> open(const DbOptions& o) {
  return store::open_store(store::database_spec_from(o.database));
}

void print(const report::Report& r, const DbOptions& o, bool with_metadata) {
  json::Document doc;
  report::to_json(r, doc, with_metadata);
  std::string out;
  report::write_value(doc, o.indent, o.seq_out, out);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}

void add_init(CLI::App* db, RunContext&) {
  auto o = std::make_shared<DbOptions>();
  auto* cmd = db->add_subcommand("init", "Create the database schema, or migrate it forward");
  add_database_option(cmd, *o);
  cmd->add_flag("--ignore-initialized", o->ignore, "Do not fail if already initialized");
  cmd->callback([o] { open(*o)->init(o->ignore); });
}

void add_load(CLI::App* db, RunContext& ctx) {
  auto o = std::make_shared<DbOptions>();
  auto* cmd = db->add_subcommand(
      "load", "Validate, upgrade and load reports, merging objects with the stored ones");
  add_database_option(cmd, *o);
  cmd->add_option("files", o->files, "Report files (default: standard input; - = stdin)");
  cmd->add_flag("--seq-in", o->seq_in, "Input is an RFC 7464 JSON text sequence");
  cmd->add_flag("--with-metadata", o->with_metadata,
                "Keep the reports' _timestamp instead of the load time");
  cmd->callback([o, &ctx] {
    std::vector<std::string> names = o->files.empty() ? std::vector<std::string>{"-"} : o->files;
    // Every report of every file is read and checked before anything is
    // loaded: a bad one anywhere leaves the store as it was.
    std::vector<std::pair<std::string, std::string>> inputs;  // (name, text)
    for (const std::string& name : names) {
      inputs.emplace_back(name == "-" ? "<stdin>" : name, read_input_file(name));
    }
    auto each_report = [&](const auto& fn) {
      for (const auto& [name, text] : inputs) {
        report::JsonStreamReader reader(text, name, o->seq_in);
        while (auto v = reader.next()) {
          std::string where = v->source + ": report " + std::to_string(v->index) + " (line " +
                              std::to_string(v->line) + ")";
          fn(*v, where);
        }
      }
    };
    bool ok = true;
    each_report([&](report::ParsedValue& v, const std::string& where) {
      report::ValidationResult result = report::validate_report(v.doc);
      if (!result.ok()) {
        for (const auto& e : result.errors) {
          std::fprintf(stderr, "%s: %s\n", where.c_str(), e.str().c_str());
        }
        ok = false;
        return;
      }
      try {
        report::upgrade_report(v.doc);
      } catch (const InvalidInputError& e) {
        std::fprintf(stderr, "%s: cannot upgrade: %s\n", where.c_str(), e.what());
        ok = false;
      }
    });
    if (!ok) {
      std::fprintf(stderr, "kci db load: invalid input, nothing was loaded\n");
      ctx.exit_status = kExitInvalidInput;
      return;
    }
    auto store = open(*o);
    // Every load is announced in the change log, as the ingester's are.
    ingest::Loader loader(*store);
    each_report([&](report::ParsedValue& v, const std::string&) {
      report::upgrade_report(v.doc);
      store::LoadOptions options;
      options.with_metadata = o->with_metadata;
      loader.load(report::from_json(v.doc), options);
    });
  });
}

void add_dump(CLI::App* db, RunContext&) {
  auto o = std::make_shared<DbOptions>();
  auto* cmd = db->add_subcommand("dump", "Print every object (in a _timestamp window)");
  add_database_option(cmd, *o);
  add_output_options(cmd, *o);
  cmd->add_flag("--without-metadata", o->without_metadata, "Leave out _timestamp");
  cmd->add_option("--after", o->after, "Only objects with _timestamp after this RFC 3339 time");
  cmd->add_option("--until", o->until, "Only objects with _timestamp at or before this time");
  cmd->callback([o] {
    auto store = open(*o);
    store::Selection window;
    window.after = o->after;
    window.until = o->until;
    bool meta = !o->without_metadata;
    store->dump(window, meta, o->objects_per_report,
                [&](report::Report& r) { print(r, *o, meta); });
  });
}

void add_query(CLI::App* db, RunContext&) {
  auto o = std::make_shared<DbOptions>();
  auto* cmd = db->add_subcommand("query", "Print objects by id, with their parents/children");
  add_database_option(cmd, *o);
  add_output_options(cmd, *o);
  cmd->add_option("-c,--checkout-id", o->checkouts, "Checkout id (repeatable)");
  cmd->add_option("-b,--build-id", o->builds, "Build id (repeatable)");
  cmd->add_option("-t,--test-id", o->tests, "Test id (repeatable)");
  cmd->add_option("-i,--issue-id", o->issues, "Issue id (repeatable, with --issue-version)");
  cmd->add_option("--iv,--issue-version", o->issue_versions,
                  "Version of the issue given with the same position of -i");
  cmd->add_option("-n,--incident-id", o->incidents, "Incident id (repeatable)");
  cmd->add_flag("--parents", o->parents, "Add the parents of matched objects");
  cmd->add_flag("--children", o->children, "Add the children of matched objects");
  cmd->add_flag("--with-metadata", o->with_metadata, "Include _timestamp");
  cmd->callback([o] {
    if (o->issues.size() != o->issue_versions.size()) {
      throw UsageError("every --issue-id needs an --issue-version (they pair up in order)");
    }
    store::QueryIds ids;
    ids.checkouts = o->checkouts;
    ids.builds = o->builds;
    ids.tests = o->tests;
    ids.incidents = o->incidents;
    for (std::size_t i = 0; i < o->issues.size(); ++i) {
      ids.issues.push_back({o->issues[i], o->issue_versions[i]});
    }
    auto store = open(*o);
    report::Report all = store->query(ids, {o->children, o->parents, o->with_metadata});
    if (o->objects_per_report == 0) {
      print(all, *o, o->with_metadata);
      return;
    }
    // Split as dump does.
    report::Report chunk;
    bool printed = false;
    report::Report::each_list(all, [&](auto& list) {
      for (auto& obj : list) {
        using T = std::decay_t<decltype(obj)>;
        report::Report one;
        std::vector<T>* target = nullptr;
        report::Report::each_list(chunk, [&](auto& l) {
          if constexpr (std::is_same_v<typename std::decay_t<decltype(l)>::value_type, T>) {
            target = &l;
          }
        });
        target->push_back(std::move(obj));
        if (chunk.size() >= o->objects_per_report) {
          print(chunk, *o, o->with_metadata);
          chunk.clear();
          printed = true;
        }
      }
    });
    if (!chunk.empty() || !printed) print(chunk, *o, o->with_metadata);
  });
}

void add_purge(CLI::App* db, RunContext&) {
  auto o = std::make_shared<DbOptions>();
  auto* cmd = db->add_subcommand("purge", "Delete objects whose _timestamp is before a time");
  add_database_option(cmd, *o);
  cmd->add_option("before", o->before, "RFC 3339 date-time")->required();
  cmd->callback([o] {
    std::size_t n = open(*o)->purge(*o->before);
    std::fprintf(stderr, "kci db purge: deleted %zu objects\n", n);
  });
}

void add_empty(CLI::App* db, RunContext&) {
  auto o = std::make_shared<DbOptions>();
  auto* cmd = db->add_subcommand("empty", "Delete every object, keeping the schema");
  add_database_option(cmd, *o);
  cmd->callback([o] { open(*o)->empty(); });
}

void add_cleanup(CLI::App* db, RunContext&) {
  auto o = std::make_shared<DbOptions>();
  auto* cmd = db->add_subcommand("cleanup", "Drop the store's tables");
  add_database_option(cmd, *o);
  cmd->add_flag("--ignore-not-initialized", o->ignore, "Do not fail if not initialized");
  cmd->callback([o] {
    auto store = open(*o);
    if (!store->initialized() && !o->ignore) {
      throw store::StoreError("database " + store->spec().str() + " is not initialized");
    }
    store->cleanup();
  });
}

void add_version(CLI::App* db, RunContext& ctx) {
  auto o = std::make_shared<DbOptions>();
  auto* cmd = db->add_subcommand(
      "version", "Print the database's store schema version and the KCIDB I/O version it holds");
  add_database_option(cmd, *o);
  cmd->callback([o, &ctx] {
    store::SchemaInfo info = open(*o)->schema_info();
    if (info.store_version == 0) {
      std::printf("not initialized (this kci: store schema v%d, I/O %s)\n",
                  info.latest_store_version, info.io_version.c_str());
      ctx.exit_status = kExitFailure;
      return;
    }
    std::printf("store schema v%d%s: I/O %s\n", info.store_version,
                info.store_version < info.latest_store_version ? " (old: run kci db init)" : "",
                info.io_version.c_str());
  });
}

struct ChangesOptions {
  std::optional<std::string> database;
  std::uint64_t after = 0;
  std::size_t limit = 0;
  bool follow = false;
  double interval = 1.0;
  std::string consumer;
};

void add_changes(CLI::App* db, RunContext&) {
  auto o = std::make_shared<ChangesOptions>();
  auto* cmd = db->add_subcommand(
      "changes", "Print the change log (one ObjectsChanged per committed load) as JSON lines");
  cmd->add_option("-d,--database", o->database,
                  "Database: sqlite:PATH or postgresql:CONNINFO (default: $KCI_DATABASE)");
  cmd->add_option("--after", o->after, "Only events with a sequence above N (default 0)");
  cmd->add_option("--limit", o->limit, "Print at most N events (default: all)");
  cmd->add_flag("--follow,-f", o->follow, "Keep waiting for new events (until interrupted)");
  cmd->add_option("--interval", o->interval, "Seconds between polls with --follow")
      ->default_val(1.0)
      ->check(CLI::Range(0.01, 3600.0));
  cmd->add_option("--consumer", o->consumer,
                  "Start after this consumer's cursor and advance it past each printed event");
  cmd->callback([o] {
    auto sql = store::SqlConnection::open(store::database_spec_from(o->database));
    ingest::ChangeLog log(*sql, false);
    bool exists = false;
    std::uint64_t cursor = o->after;
    std::size_t printed = 0;
    if (!o->consumer.empty() && sql->component_version(ingest::ChangeLog::kComponent) > 0) {
      cursor = std::max(cursor, log.cursor(o->consumer));
    }
    for (;;) {
      if (!exists) exists = sql->component_version(ingest::ChangeLog::kComponent) > 0;
      bool more = false;
      if (exists) {
        constexpr std::size_t kPage = 1000;
        std::size_t want = o->limit ? std::min(kPage, o->limit - printed) : kPage;
        std::vector<ingest::ObjectsChanged> events = log.read_after(cursor, want);
        for (const auto& e : events) {
          std::string line = ingest::to_json(e);
          line.push_back('\n');
          std::fwrite(line.data(), 1, line.size(), stdout);
          cursor = e.sequence;
        }
        std::fflush(stdout);
        printed += events.size();
        if (!o->consumer.empty() && !events.empty()) log.advance(o->consumer, cursor);
        more = events.size() == want;
      }
      if (o->limit && printed >= o->limit) return;
      if (more) continue;
      if (!o->follow) return;
      std::this_thread::sleep_for(std::chrono::duration<double>(o->interval));
    }
  });
}

void register_db_commands(CLI::App& root, RunContext& ctx) {
  auto* db = root.add_subcommand("db",
                                 "The KCIDB store: init, load, dump, query, purge, empty, "
                                 "cleanup, version, changes");
  db->require_subcommand(1);
  add_init(db, ctx);
  add_load(db, ctx);
  add_dump(db, ctx);
  add_query(db, ctx);
  add_purge(db, ctx);
  add_empty(db, ctx);
  add_cleanup(db, ctx);
  add_version(db, ctx);
  add_changes(db, ctx);
}

}  // namespace

KCI_COMMAND(30, register_db_commands);

}  // namespace kci::cli
