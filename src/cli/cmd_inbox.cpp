// SPDX-License-Identifier: LGPL-2.1-or-later
// kci inbox: patch series from mailing lists (src/inbox). scan lists the
// series of a public-inbox archive; poll follows the lists of the pipeline
// configuration and loads a checkout for each new complete series; series
// shows what was handled; import writes mbox files into a local archive.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "inbox/archive_writer.h"
#include "inbox/reply.h"
#include "inbox/submit.h"
#include "inbox/watcher.h"
#include "ingest/loader.h"
#include "notify/header.h"
#include "notify/outbox.h"
#include "pipeline/source/patchset.h"
#include "report/stream.h"
#include "store/store.h"
#include "util/error.h"
#include "util/file.h"
#include "util/time.h"

namespace kci::cli {

namespace {

std::string parts_of(const inbox::Series& s) {
  std::string out =
      std::to_string(s.total - static_cast<int>(s.missing.size())) + "/" + std::to_string(s.total);
  if (s.has_cover) out += "+cover";
  return out;
}

json::Value series_json(const inbox::Series& s, const std::string& state, json::Allocator& a) {
  json::Value v(rapidjson::kObjectType);
  v.AddMember("id", json::Value(s.id, a), a);
  v.AddMember("state", json::Value(state, a), a);
  v.AddMember("title", json::Value(s.title, a), a);
  v.AddMember("author", json::Value(s.author, a), a);
  v.AddMember("revision", s.revision, a);
  v.AddMember("total", s.total, a);
  v.AddMember("cover_letter", s.has_cover, a);
  v.AddMember("message_id", json::Value(s.message_id(), a), a);
  json::Value missing(rapidjson::kArrayType);
  for (int m : s.missing) missing.PushBack(m, a);
  v.AddMember("missing", missing, a);
  json::Value prefixes(rapidjson::kArrayType);
  for (const std::string& p : s.prefixes) prefixes.PushBack(json::Value(p, a), a);
  v.AddMember("prefixes", prefixes, a);
  if (!s.base_commit.empty()) v.AddMember("base_commit", json::Value(s.base_commit, a), a);
  json::Value trailers(rapidjson::kArrayType);
  for (const auto& [part, t] : s.trailers) {
    json::Value tv(rapidjson::kObjectType);
    tv.AddMember("part", part, a);
    tv.AddMember("trailer", json::Value(t, a), a);
    trailers.PushBack(tv, a);
  }
  v.AddMember("trailers", trailers, a);
  return v;
}

void add_scan(CLI::App* inbox) {
  struct Options {
    std::string archive;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = inbox->add_subcommand("scan", "List the patch series of a public-inbox archive");
  cmd->footer(
      "Reads the whole archive (v1 or v2) and prints one line per series: state (complete, or\n"
      "missing parts), revision, parts, message-id and title. Older revisions are marked\n"
      "superseded. Messages read and the speed go to stderr.");
  cmd->add_option("archive", o->archive, "public-inbox archive directory")->required();
  cmd->add_flag("--json", o->json, "Print the series as JSON");
  cmd->callback([o] {
    auto start = std::chrono::steady_clock::now();
    inbox::ScanResult r = inbox::scan_archive(o->archive);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto state_of = [](const inbox::Series& s) {
      if (s.complete()) return std::string("complete");
      std::string missing;
      for (int m : s.missing) missing += (missing.empty() ? "" : ",") + std::to_string(m);
      return "missing " + missing;
    };
    if (o->json) {
      json::Document doc(rapidjson::kArrayType);
      auto& a = doc.GetAllocator();
      for (const auto& s : r.assembly.series) doc.PushBack(series_json(s, state_of(s), a), a);
      for (const auto& s : r.assembly.superseded) doc.PushBack(series_json(s, "superseded", a), a);
      std::string out;
      report::write_value(doc, 2, false, out);
      std::fwrite(out.data(), 1, out.size(), stdout);
    } else {
      auto line = [](const inbox::Series& s, const std::string& state) {
        std::printf("%-12s v%-2d %-9s %s  %s\n", state.c_str(), s.revision, parts_of(s).c_str(),
                    s.message_id().c_str(), s.title.c_str());
      };
      for (const auto& s : r.assembly.series) line(s, state_of(s));
      for (const auto& s : r.assembly.superseded) line(s, "superseded");
    }
    std::fprintf(stderr, "kci inbox scan: %zu messages (%zu commits) in %.2f s, %.0f messages/s\n",
                 r.read.messages, r.read.commits, seconds,
                 seconds > 0 ? static_cast<double>(r.read.messages) / seconds : 0.0);
  });
}

void add_poll(CLI::App* inbox, RunContext& ctx) {
  struct Options {
    std::vector<std::string> config_files;
    std::optional<std::string> database;
    std::string list;
    std::string state_dir = "kci-inbox";
    std::string now;
    bool force = false;
    bool quiet = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = inbox->add_subcommand(
      "poll", "Poll the mailing lists of the configuration and load a checkout per new series");
  cmd->footer(
      "For each list of the configuration's lists: section that is due (its frequency), reads\n"
      "the archive's new commits, assembles series, applies each new complete one on its\n"
      "target tree (git am in a temporary worktree) and loads it as a KCIDB checkout (valid:\n"
      "false with the git am error when it does not apply). One line per series handled:\n"
      "LIST STATUS SERIES CHECKOUT. The place in each archive and the series waiting for parts\n"
      "are kept in the database: a series is never reported twice.");
  cmd->add_option("-c,--config", o->config_files, "Pipeline configuration (file or directory)");
  cmd->add_option("-d,--database", o->database,
                  "Database: sqlite:PATH or postgresql:CONNINFO (default: $KCI_DATABASE)");
  cmd->add_option("--list", o->list, "Only this list");
  cmd->add_option("--state-dir", o->state_dir, "Where series mbox files are kept")
      ->default_val("kci-inbox");
  cmd->add_flag("--force", o->force, "Poll lists even when their frequency says not yet");
  cmd->add_option("--now", o->now, "Take this RFC 3339 time as now (tests)");
  cmd->add_flag("-q,--quiet", o->quiet, "No progress lines on stderr");
  cmd->callback([o, &ctx] {
    pipeline::PipelineConfig config = pipeline::load_pipeline_config(o->config_files);
    if (config.lists().empty()) throw UsageError("the configuration has no lists: section");
    if (!o->list.empty() && !config.lists().count(o->list)) {
      throw UsageError("--list " + o->list + ": no such list in the configuration");
    }
    store::DatabaseSpec spec = store::database_spec_from(o->database);
    auto store = store::open_store(spec);
    store->init(true);
    ingest::Loader loader(*store);
    auto sql = store::SqlConnection::open(spec);
    inbox::InboxState::migrate(*sql);
    inbox::InboxState state(*sql);
    inbox::PollOptions options;
    options.origin = config.origin();
    options.state_dir = o->state_dir;
    options.force = o->force;
    if (!o->now.empty()) {
      std::optional<SystemTime> t = parse_rfc3339(o->now);
      if (!t) throw UsageError("--now " + o->now + ": not an RFC 3339 time");
      options.now = std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count();
    }
    if (!o->quiet) {
      options.progress = [](const std::string& s) {
        std::fprintf(stderr, "kci inbox: %s\n", s.c_str());
      };
    }
    for (const auto& entry : config.lists()) {
      // Not a structured binding: clang before 16 cannot capture one in the
      // lambda below.
      const auto& name = entry.first;
      const auto& list = entry.second;
      if (!o->list.empty() && name != o->list) continue;
      try {
        inbox::PollResult r =
            inbox::poll_list(list, config, state, options, [&](const inbox::HandledSeries& h) {
              if (h.checkout) inbox::load_checkout(loader, *h.checkout);
              std::printf("%s\t%s\t%s\t%s\n", name.c_str(), h.record.status.c_str(),
                          h.record.series_id.c_str(),
                          h.record.checkout_id.empty() ? "-" : h.record.checkout_id.c_str());
              std::fflush(stdout);
            });
        if (!o->quiet && r.polled) {
          std::fprintf(stderr, "kci inbox: %s: %zu new messages, %zu series handled, %zu waiting\n",
                       name.c_str(), r.read.messages, r.handled.size(), r.waiting);
        } else if (!o->quiet) {
          std::fprintf(stderr, "kci inbox: %s: not due yet\n", name.c_str());
        }
      } catch (const InvalidInputError& e) {
        std::fprintf(stderr, "kci inbox: %s: %s\n", name.c_str(), e.what());
        ctx.exit_status = kExitInvalidInput;
      }
    }
  });
}

void add_series(CLI::App* inbox) {
  struct Options {
    std::optional<std::string> database;
    std::string list;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = inbox->add_subcommand("series", "List the series kci inbox poll has handled");
  cmd->add_option("-d,--database", o->database,
                  "Database: sqlite:PATH or postgresql:CONNINFO (default: $KCI_DATABASE)");
  cmd->add_option("--list", o->list, "Only this list");
  cmd->callback([o] {
    auto sql = store::SqlConnection::open(store::database_spec_from(o->database));
    inbox::InboxState::migrate(*sql);
    inbox::InboxState state(*sql);
    for (const inbox::SeriesRecord& s : state.all_series(o->list)) {
      std::printf("%s\t%s\t%s\t%s\t%s\t%s\n", s.created.c_str(), s.list.c_str(), s.status.c_str(),
                  s.replied ? "replied" : "-", s.series_id.c_str(), s.subject.c_str());
    }
  });
}

void add_reply(CLI::App* inbox) {
  struct Options {
    std::optional<std::string> database;
    std::string list;
    std::string from;
    std::string domain = "kci.invalid";
    bool without_results = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = inbox->add_subcommand(
      "reply", "Queue the reply to each handled series' thread (sent by kci notify send)");
  cmd->footer(
      "For every series that applied (once kci run has results for its checkout) or did not\n"
      "apply, and has no reply yet: renders the reply (what applied, build/boot/test counts,\n"
      "regressions, new failures and fixes against the base commit's checkout), threads it to\n"
      "the series' message_id, addresses it to the thread's contacts and queues it in the\n"
      "notify outbox. Each series is answered once. `kci notify send` delivers.");
  cmd->add_option("-d,--database", o->database,
                  "Database: sqlite:PATH or postgresql:CONNINFO (default: $KCI_DATABASE)");
  cmd->add_option("--list", o->list, "Only this list");
  cmd->add_option("--from", o->from, "Sender (\"Name <addr>\")")->required();
  cmd->add_option("--domain", o->domain, "Right-hand side of Message-IDs");
  cmd->add_flag("--without-results", o->without_results,
                "Answer applied series even before they have results");
  cmd->callback([o] {
    auto sql = store::SqlConnection::open(store::database_spec_from(o->database));
    inbox::InboxState::migrate(*sql);
    inbox::InboxState state(*sql);
    notify::Outbox outbox(*sql);
    inbox::ReplyOptions options;
    options.from = notify::parse_address(o->from);
    options.domain = o->domain;
    options.list = o->list;
    options.require_results = !o->without_results;
    inbox::ReplyResult r = inbox::queue_replies(*sql, state, outbox, options);
    std::printf("kci inbox reply: queued %d repl%s, %d series waiting for results\n", r.queued,
                r.queued == 1 ? "y" : "ies", r.waiting);
  });
}

void add_import(CLI::App* inbox) {
  struct Options {
    std::string archive;
    std::vector<std::string> mboxes;
    bool v1 = false;
    std::size_t per_epoch = 0;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = inbox->add_subcommand(
      "import", "Append the messages of mbox files to a local public-inbox archive");
  cmd->footer(
      "Creates the archive if needed (v2 unless --v1). For trying a lists: configuration on\n"
      "mail at hand; following a real list needs a mirror of its archive (e.g. lore's git).");
  cmd->add_option("--archive", o->archive, "public-inbox archive directory")->required();
  cmd->add_option("mbox", o->mboxes, "mbox files, in order")->required();
  cmd->add_flag("--v1", o->v1, "Write a v1 archive (one git repository)");
  cmd->add_option("--messages-per-epoch", o->per_epoch, "v2: start a new epoch every N messages");
  cmd->callback([o] {
    std::vector<std::string> messages;
    for (const std::string& f : o->mboxes) {
      for (pipeline::MboxMessage& m : pipeline::split_mbox(read_input_file(f))) {
        messages.push_back(std::move(m.text));
      }
    }
    inbox::ArchiveWriteOptions options;
    options.v2 = !o->v1;
    options.messages_per_epoch = o->per_epoch;
    inbox::append_to_archive(o->archive, messages, options);
    std::fprintf(stderr, "kci inbox import: %zu messages appended to %s\n", messages.size(),
                 o->archive.c_str());
  });
}

void register_inbox(CLI::App& root, RunContext& ctx) {
  auto* inbox = root.add_subcommand("inbox", "Patch series from mailing lists (public-inbox)");
  inbox->require_subcommand(1);
  add_scan(inbox);
  add_poll(inbox, ctx);
  add_series(inbox);
  add_reply(inbox);
  add_import(inbox);
}

}  // namespace

KCI_COMMAND(43, register_inbox);

}  // namespace kci::cli
