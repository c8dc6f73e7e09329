// SPDX-License-Identifier: LGPL-2.1-or-later
// kci issues: known issues and their incidents. `triage` matches failed
// builds and tests against log signatures and known-issue rules and stores
// the issues and incidents; `list` and `show` read them back; `rules check`
// validates a rules file.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "cli/command.h"
#include "cli/live_options.h"
#include "store/store.h"
#include "triage/issues_view.h"
#include "triage/rules.h"
#include "triage/triager.h"
#include "util/time.h"

namespace kci::cli {

namespace {

struct IssuesOptions {
  std::optional<std::string> database;
  std::string rules_file;
  std::string since;
  std::vector<std::string> builds, tests;
  bool no_fetch = false;
  std::string cache_dir;
  std::size_t max_log_bytes = std::size_t{256} << 20;
  long timeout = 60;
  std::vector<std::string> log_fetch_allow, log_fetch_hosts, log_fetch_files;
  bool json = false;
  std::string id;
};

void add_db(CLI::App* cmd, IssuesOptions& o) {
  cmd->add_option("-d,--database", o.database,
                  "Database: sqlite:PATH, sqlite::memory: or postgresql:CONNINFO "
                  "(default: $KCI_DATABASE)");
}

std::unique_ptr<store::Store> open_db(const IssuesOptions& o) {
  auto s = store::open_store(store::database_spec_from(o.database));
  return s;
}

void write_json_line(const triage::IssueSummary& s, bool details) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&w](const std::string& v) {
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartObject();
  w.Key("id");
  str(s.issue.id.value_or(""));
  w.Key("version");
  w.Int64(s.issue.version.value_or(0));
  w.Key("origin");
  str(s.issue.origin.value_or(""));
  w.Key("report_subject");
  str(s.issue.report_subject.value_or(""));
  w.Key("culprit");
  w.StartArray();
  if (s.issue.culprit_code.value_or(false)) str("code");
  if (s.issue.culprit_tool.value_or(false)) str("tool");
  if (s.issue.culprit_harness.value_or(false)) str("harness");
  w.EndArray();
  w.Key("incidents");
  w.Uint64(s.incidents);
  w.Key("first_seen");
  str(s.first_seen);
  w.Key("last_seen");
  str(s.last_seen);
  w.Key("origins");
  w.StartArray();
  for (const auto& v : s.origins) str(v);
  w.EndArray();
  w.Key("platforms");
  w.StartArray();
  for (const auto& v : s.platforms) str(v);
  w.EndArray();
  if (details) {
    w.Key("incident_list");
    w.StartArray();
    for (const auto& d : s.details) {
      w.StartObject();
      w.Key("id");
      str(d.incident_id);
      w.Key("issue_version");
      w.Int64(d.issue_version);
      w.Key(d.result_kind == "test" ? "test_id" : "build_id");
      str(d.result_id);
      w.Key("origin");
      str(d.origin);
      w.Key("platform");
      str(d.platform);
      w.Key("path");
      str(d.path);
      w.Key("status");
      str(d.status);
      w.Key("seen");
      str(d.seen);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  std::printf("%s\n", buf.GetString());
}

std::string join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& v : s) out += (out.empty() ? "" : ",") + v;
  return out.empty() ? "-" : out;
}

void register_issues(CLI::App& root, RunContext& ctx) {
  auto* issues = root.add_subcommand("issues", "Known issues: triage failures, list and show them");
  issues->require_subcommand(1);

  auto lo = std::make_shared<IssuesOptions>();
  auto* list = issues->add_subcommand(
      "list",
      "Every issue (highest version) with its incidents: count, first and last seen, "
      "origins, platforms; most incidents first");
  add_db(list, *lo);
  list->add_flag("--json", lo->json, "One JSON object per line");
  list->callback([lo] {
    auto store = open_db(*lo);
    auto all = triage::list_issues(*store);
    if (lo->json) {
      for (const auto& s : all) write_json_line(s, false);
      return;
    }
    std::printf("%-9s %-32s %-32s %-20s %-20s %s\n", "INCIDENTS", "FIRST SEEN", "LAST SEEN",
                "ORIGINS", "PLATFORMS", "ISSUE");
    for (const auto& s : all) {
      std::printf("%-9zu %-32s %-32s %-20s %-20s %s v%lld %s\n", s.incidents,
                  s.first_seen.empty() ? "-" : s.first_seen.c_str(),
                  s.last_seen.empty() ? "-" : s.last_seen.c_str(), join(s.origins).c_str(),
                  join(s.platforms).c_str(), s.issue.id.value_or("").c_str(),
                  static_cast<long long>(s.issue.version.value_or(0)),
                  s.issue.report_subject.value_or("").c_str());
    }
  });

  auto so = std::make_shared<IssuesOptions>();
  auto* show = issues->add_subcommand("show", "One issue and its incidents, as JSON");
  add_db(show, *so);
  show->add_option("id", so->id, "Issue id")->required();
  show->callback([so, &ctx] {
    auto store = open_db(*so);
    auto s = triage::issue_details(*store, so->id);
    if (!s) {
      std::fprintf(stderr, "kci: no issue '%s' in the database\n", so->id.c_str());
      ctx.exit_status = kExitInvalidInput;
      return;
    }
    write_json_line(*s, true);
  });

  auto to = std::make_shared<IssuesOptions>();
  auto* tri = issues->add_subcommand(
      "triage",
      "Match failed builds and tests (their log_url, else log_excerpt) against log signatures "
      "and known-issue rules; store the issues and incidents found. Re-run after a new rules "
      "version to re-match recent failures (--since)");
  add_db(tri, *to);
  tri->add_option("--rules", to->rules_file, "Known-issue rules (YAML, see docs/triage.md)");
  tri->add_option("--since", to->since,
                  "Results loaded after this RFC 3339 time (default: the last 24 hours)");
  tri->add_option("--build", to->builds, "Only these build ids");
  tri->add_option("--test", to->tests, "Only these test ids");
  tri->add_flag("--no-fetch", to->no_fetch, "Do not fetch log_url: look at log_excerpt only");
  tri->add_option("--cache", to->cache_dir, "Cache fetched http(s) logs in this directory");
  tri->add_option("--max-log-bytes", to->max_log_bytes, "Read at most this much of a log")
      ->default_val(std::size_t{256} << 20);
  tri->add_option("--timeout", to->timeout, "Seconds allowed to fetch one log")->default_val(60);
  add_log_fetch_options(tri, to->log_fetch_allow, to->log_fetch_hosts, to->log_fetch_files);
  tri->callback([to] {
    triage::RuleSet rules;
    if (!to->rules_file.empty()) rules = triage::load_rules(to->rules_file);
    triage::TriageOptions opts;
    opts.fetch_logs = !to->no_fetch;
    opts.fetch.cache_dir = to->cache_dir;
    opts.fetch.max_bytes = to->max_log_bytes;
    opts.fetch.timeout_seconds = to->timeout;
    opts.fetch.policy =
        log_fetch_policy(to->log_fetch_allow, to->log_fetch_hosts, to->log_fetch_files, true);
    triage::Triager triager(std::move(rules), opts);
    auto store = open_db(*to);
    store::QueryIds ids;
    ids.builds = to->builds;
    ids.tests = to->tests;
    if (ids.empty()) {
      store::Selection window;
      if (to->since.empty()) {
        window.after = format_rfc3339(std::chrono::system_clock::now() - std::chrono::hours(24));
      } else {
        if (!parse_rfc3339(to->since))
          throw UsageError("--since: not an RFC 3339 time: " + to->since);
        window.after = to->since;
      }
      report::Report r;
      store->select(report::ObjectType::kBuild, window, false, r);
      store->select(report::ObjectType::kTest, window, false, r);
      for (const auto& b : r.builds) ids.builds.push_back(*b.id);
      for (const auto& t : r.tests) ids.tests.push_back(*t.id);
    }
    triage::TriageSummary s = triage::triage_stored(*store, ids, triager);
    std::fprintf(
        stderr, "kci: %zu failed results triaged: %zu issues, %zu incidents written%s\n", s.results,
        s.issues, s.incidents,
        s.log_errors ? (", " + std::to_string(s.log_errors) + " logs unreadable").c_str() : "");
  });

  auto rules = issues->add_subcommand("rules", "Known-issue rules files");
  rules->require_subcommand(1);
  auto ro = std::make_shared<IssuesOptions>();
  auto* check = rules->add_subcommand(
      "check", "Parse a rules file and compile its regexes; exit 1 naming file:line if invalid");
  check->add_option("file", ro->rules_file, "Rules file (YAML)")->required();
  check->callback([ro] {
    triage::RuleSet set = triage::load_rules(ro->rules_file);
    triage::Triager compiled(set);  // compiles every regex into the automata
    std::size_t log = 0, excerpt = 0;
    for (const auto& r : set.rules) {
      log += r.match.log.size();
      excerpt += r.match.log_excerpt.size();
    }
    std::printf("%s: %zu issues, %zu log regexes, %zu log_excerpt regexes: OK\n",
                ro->rules_file.c_str(), set.rules.size(), log, excerpt);
  });
}

}  // namespace

KCI_COMMAND(71, register_issues);

}  // namespace kci::cli
