// SPDX-License-Identifier: LGPL-2.1-or-later
#include "inbox/reply.h"

#include <rapidjson/document.h>

#include <chrono>

#include "analysis/queries.h"
#include "analysis/schema.h"
#include "notify/header.h"
#include "notify/templates.h"
#include "util/error.h"
#include "util/text.h"

namespace kci::inbox {

namespace {

namespace mustache = kainjow::mustache;

std::string misc_string(const rapidjson::Document& misc, const char* key) {
  if (!misc.IsObject()) return {};
  auto it = misc.FindMember(key);
  if (it == misc.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::string label(const analysis::Identity& id) {
  if (id.kind == analysis::Kind::kBuild) {
    std::string out = "build " + id.architecture + " " + id.config_name;
    if (!id.compiler.empty()) out += " (" + id.compiler + ")";
    return out;
  }
  std::string out = (analysis::is_boot_path(id.path) ? "boot " : "test ") + id.path;
  if (!id.platform.empty()) out += " on " + id.platform;
  std::string where = id.architecture;
  if (!id.config_name.empty()) where += (where.empty() ? "" : ", ") + id.config_name;
  if (!where.empty()) out += " (" + where + ")";
  return out;
}

std::string status_text(const std::optional<analysis::CompareSide>& side) {
  if (!side) return "none";
  return side->status.empty() ? "no status" : side->status;
}

void collect(store::SqlConnection& sql, const std::string& base, const std::string& checkout,
             analysis::Kind kind, PatchsetReply& reply) {
  analysis::CompareResult r = analysis::compare(sql, base, checkout, kind);
  auto take = [&](analysis::Category c, std::vector<ReplyChange>& out) {
    auto it = r.items.find(c);
    if (it == r.items.end()) return;
    for (const analysis::CompareItem& item : it->second) {
      out.push_back({label(item.identity), status_text(item.a), status_text(item.b)});
    }
  };
  take(analysis::Category::kRegression, reply.regressions);
  take(analysis::Category::kNewFailure, reply.new_failures);
  take(analysis::Category::kFixed, reply.fixed);
}

mustache::data changes(const std::vector<ReplyChange>& items) {
  mustache::data list{mustache::data::type::list};
  for (const ReplyChange& c : items) {
    mustache::data d;
    d.set("what", c.what);
    d.set("before", c.before);
    d.set("after", c.after);
    list.push_back(d);
  }
  return list;
}

}  // namespace

PatchsetReply reply_data(store::SqlConnection& sql, const SeriesRecord& series) {
  PatchsetReply reply;
  reply.list = series.list;
  reply.series_id = series.series_id;
  reply.subject = series.subject;
  reply.message_id = series.message_id;
  reply.checkout_id = series.checkout_id;
  {
    std::string all = series.contacts;
    std::size_t pos = 0;
    while (pos <= all.size()) {
      std::size_t comma = all.find(',', pos);
      std::string item =
          all.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      while (!item.empty() && item.front() == ' ') item.erase(0, 1);
      while (!item.empty() && item.back() == ' ') item.pop_back();
      if (!item.empty()) reply.contacts.push_back(item);
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  }
  bool found = false;
  std::string patchset_files, misc_text;
  sql.exec(
      "SELECT COALESCE(tree_name, ''), COALESCE(git_repository_branch, ''), "
      "COALESCE(git_commit_hash, ''), COALESCE(git_commit_name, ''), valid, "
      "COALESCE(log_excerpt, ''), COALESCE(patchset_files, ''), COALESCE(misc, '') "
      "FROM checkouts WHERE id = $1",
      {series.checkout_id}, [&](const store::SqlRow& r) {
        found = true;
        reply.tree = std::string(r.text(0));
        reply.branch = std::string(r.text(1));
        reply.base_commit = std::string(r.text(2));
        reply.base_describe = std::string(r.text(3));
        reply.applied = r.is_null(4) || r.boolean(4);
        reply.am_error = std::string(r.text(5));
        patchset_files = std::string(r.text(6));
        misc_text = std::string(r.text(7));
      });
  if (!found) throw InvalidInputError("checkout " + series.checkout_id + " is not in the store");
  rapidjson::Document files;
  files.Parse(patchset_files.c_str());
  if (!files.HasParseError() && files.IsArray()) reply.patch_count = files.Size();
  rapidjson::Document misc;
  misc.Parse(misc_text.c_str());
  if (!misc.HasParseError()) {
    std::string revision = misc_string(misc, "series_revision");
    if (!revision.empty()) reply.revision = revision;
    reply.trailers = misc_string(misc, "trailers");
  }
  if (!reply.applied) return reply;
  // Without the analysis tables (kci run --no-analysis, nothing analysed
  // yet) there is nothing to count or compare.
  if (sql.component_version(analysis::kComponent) == 0) return reply;

  // The results: of the series' checkout, or (kci run builds the patched
  // tree as a checkout of its own) of the checkout of the patched commit.
  std::string results_id = series.checkout_id;
  std::string patched = misc_string(misc, "patched_commit");
  if (!patched.empty()) {
    sql.exec("SELECT id FROM checkouts WHERE git_commit_hash = $1 AND id <> $2 ORDER BY id",
             {patched, series.checkout_id}, [&](const store::SqlRow& r) {
               if (results_id == series.checkout_id) results_id = std::string(r.text(0));
             });
  }
  // Counts of the series' own results, as the analysis has them.
  if (std::optional<analysis::CheckoutSummary> s = analysis::summary(sql, results_id)) {
    for (const auto& [kind, statuses] : s->counts) {
      long long total = 0;
      for (const auto& [status, n] : statuses) total += n;
      if (total > 0) reply.counts[kind] = statuses;
    }
  }
  // The base: the newest checkout of the same commit and tree without
  // patches that has results.
  sql.exec(
      "SELECT id FROM checkouts WHERE git_commit_hash = $1 AND COALESCE(tree_name, '') = $2 "
      "AND (patchset_hash IS NULL OR patchset_hash = '') AND id <> $3 "
      "ORDER BY start_time DESC, id",
      {reply.base_commit, reply.tree, results_id}, [&](const store::SqlRow& r) {
        if (reply.base_checkout_id.empty()) reply.base_checkout_id = std::string(r.text(0));
      });
  if (!reply.base_checkout_id.empty() && !reply.counts.empty()) {
    try {
      collect(sql, reply.base_checkout_id, results_id, analysis::Kind::kBuild, reply);
      collect(sql, reply.base_checkout_id, results_id, analysis::Kind::kTest, reply);
    } catch (const InvalidInputError&) {
      reply.base_checkout_id.clear();  // the analysis does not know the base
    }
  }
  return reply;
}

notify::RenderedReport render_reply(const PatchsetReply& reply) {
  mustache::data d;
  d.set("list", reply.list);
  d.set("revision_text", "v" + reply.revision);
  d.set("patch_count", std::to_string(reply.patch_count));
  d.set("patch_plural", reply.patch_count == 1 ? "" : "es");
  d.set("tree", reply.tree);
  d.set("branch", reply.branch);
  d.set("base_short", reply.base_commit.substr(0, 12));
  d.set("base_describe",
        reply.base_describe.empty() ? reply.base_commit.substr(0, 12) : reply.base_describe);
  d.set("checkout_id", reply.checkout_id);
  d.set("applied",
        reply.applied ? mustache::data::type::bool_true : mustache::data::type::bool_false);
  mustache::data am{mustache::data::type::list};
  for (std::string_view line : split_lines(reply.am_error)) {
    mustache::data l;
    l.set("line", std::string(line));
    am.push_back(l);
  }
  d.set("am_error", am);
  d.set("has_results",
        reply.counts.empty() ? mustache::data::type::bool_false : mustache::data::type::bool_true);
  mustache::data counts{mustache::data::type::list};
  for (const char* kind : {"build", "boot", "test"}) {
    auto it = reply.counts.find(kind);
    if (it == reply.counts.end()) continue;
    std::string text;
    for (const auto& [status, n] : it->second) {
      if (!text.empty()) text += ", ";
      text += std::to_string(n) + " " + (status.empty() ? std::string("no status") : status);
    }
    mustache::data c;
    c.set("kind", std::string(kind) + "s");
    c.set("text", text);
    counts.push_back(c);
  }
  d.set("counts", counts);
  d.set("no_compare", reply.base_checkout_id.empty() ? mustache::data::type::bool_true
                                                     : mustache::data::type::bool_false);
  mustache::data sections{mustache::data::type::list};
  auto section = [&](const char* title, const std::vector<ReplyChange>& items) {
    if (items.empty() || reply.base_checkout_id.empty()) return;
    mustache::data s;
    s.set("title", title);
    s.set("items", changes(items));
    s.set("base_short", reply.base_commit.substr(0, 12));
    sections.push_back(s);
  };
  section("Regressions", reply.regressions);
  section("New failures", reply.new_failures);
  section("Fixed", reply.fixed);
  d.set("sections", sections);
  std::size_t trailers = split_lines(reply.trailers).size();
  if (trailers > 0) d.set("trailers_count", std::to_string(trailers));

  notify::RenderedReport r;
  r.kind = notify::ReportKind::kPatchset;
  r.subject_object = "series:" + reply.list + ":" + reply.series_id;
  std::string subject = reply.subject;
  if (subject.rfind("Re:", 0) != 0) subject = "Re: " + subject;
  r.subject = subject;
  r.body = notify::render_template("patchset_reply", d);
  r.has_regressions = !reply.regressions.empty();
  return r;
}

ReplyResult queue_replies(store::SqlConnection& sql, InboxState& state, notify::Outbox& outbox,
                          const ReplyOptions& options) {
  ReplyResult result;
  long long now = options.date != 0 ? options.date
                                    : std::chrono::duration_cast<std::chrono::seconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count();
  for (const SeriesRecord& s : state.all_series(options.list)) {
    if (s.replied || (s.status != "tested" && s.status != "does not apply")) continue;
    if (options.ready && !options.ready(s)) {
      ++result.waiting;
      continue;
    }
    PatchsetReply reply = reply_data(sql, s);
    if (reply.applied && reply.counts.empty() && options.require_results) {
      ++result.waiting;
      continue;
    }
    notify::MailContext c;
    c.subscription = "inbox-" + s.list;
    c.from = options.from;
    c.domain = options.domain;
    c.date = now;
    for (const std::string& a : reply.contacts) {
      if (notify::valid_addr_spec(a)) c.to.push_back({"", a});
    }
    if (notify::valid_message_id(reply.message_id)) {
      c.in_reply_to = notify::bracket_message_id(reply.message_id);
      c.references = {c.in_reply_to};
    }
    if (c.to.empty()) continue;
    if (options.to_override) c.to = {*options.to_override};
    outbox.queue(render_reply(reply), c);
    state.mark_replied(s.list, s.series_id);
    ++result.queued;
  }
  return result;
}

}  // namespace kci::inbox
