// SPDX-License-Identifier: LGPL-2.1-or-later
#include "notify/notifier.h"

#include <rapidjson/document.h>

#include <cctype>

#include "notify/bisection.h"
#include "store/store.h"
#include "util/log.h"

namespace kci::notify {
namespace {

std::vector<store::Migration> migrations() {
  const char* sql =
      "CREATE TABLE notify_pending (checkout_id TEXT PRIMARY KEY, last_change BIGINT NOT NULL)";
  return {{1, "notify: pending checkouts", sql, sql}};
}

// misc.contacts of a checkout (KCIDB 5 dropped the checkout's contacts
// field; kci keeps a patchset's recipients there).
std::vector<std::string> contacts_from_misc(std::string_view misc) {
  std::vector<std::string> out;
  rapidjson::Document doc;
  doc.Parse(misc.data(), misc.size());
  if (doc.HasParseError() || !doc.IsObject()) return out;
  auto it = doc.FindMember("contacts");
  if (it == doc.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& v : it->value.GetArray()) {
    if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return out;
}

std::string lower_ascii(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

}  // namespace

Notifier::Notifier(store::SqlConnection& db, NotifierConfig config)
    : db_(db), config_(std::move(config)), outbox_(db) {
  db_.apply_migrations("notify_pending", migrations());
}

void Notifier::touch(const std::string& checkout_id, std::int64_t now) {
  db_.exec(
      "INSERT INTO notify_pending (checkout_id, last_change) VALUES ($1, $2) "
      "ON CONFLICT (checkout_id) DO UPDATE SET last_change = excluded.last_change",
      {checkout_id, std::to_string(now)});
}

void Notifier::on_change(const ingest::ObjectsChanged& event, std::int64_t now) {
  std::vector<std::string> checkouts = event.checkouts;
  for (const auto& b : event.builds) {
    db_.exec("SELECT checkout_id FROM builds WHERE id = $1", {b},
             [&](const store::SqlRow& r) { checkouts.emplace_back(r.text(0)); });
  }
  for (const auto& t : event.tests) {
    db_.exec("SELECT b.checkout_id FROM tests t JOIN builds b ON b.id = t.build_id WHERE t.id = $1",
             {t}, [&](const store::SqlRow& r) { checkouts.emplace_back(r.text(0)); });
  }
  db_.transaction([&] {
    for (const auto& c : checkouts) touch(c, now);
  });
}

std::vector<std::string> Notifier::quiet_checkouts(std::int64_t now) {
  std::vector<std::string> out;
  db_.exec("SELECT checkout_id FROM notify_pending WHERE last_change <= $1 ORDER BY checkout_id",
           {std::to_string(now - config_.quiet_seconds)},
           [&](const store::SqlRow& r) { out.emplace_back(r.text(0)); });
  return out;
}

CheckoutInfo Notifier::checkout_info(const std::string& id) {
  CheckoutInfo c;
  c.id = id;
  db_.exec(
      "SELECT COALESCE(tree_name, ''), COALESCE(git_repository_branch, ''), origin, "
      "COALESCE(message_id, ''), misc FROM checkouts WHERE id = $1",
      {id}, [&](const store::SqlRow& r) {
        c.tree = std::string(r.text(0));
        c.branch = std::string(r.text(1));
        c.origin = std::string(r.text(2));
        c.message_id = std::string(r.text(3));
        if (!r.is_null(4)) c.contacts = contacts_from_misc(r.text(4));
      });
  return c;
}

int Notifier::queue_one(const Subscription* s, const CheckoutInfo& c, const RenderedReport& r,
                        std::int64_t now) {
  MailContext m;
  m.subscription = s ? s->name : "contacts";
  m.from = config_.from;
  m.domain = config_.domain;
  m.date = now;
  if (s) {
    m.to = s->to;
    m.cc = s->cc;
  } else {
    for (const auto& t : c.contacts) {
      try {
        m.to.push_back(parse_address(t));
      } catch (const InvalidInputError&) {
        // A contact that is not a plain address is dropped, never passed on.
      }
    }
    if (m.to.empty()) return 0;
  }
  if (valid_message_id(c.message_id)) m.in_reply_to = bracket_message_id(c.message_id);
  if (config_.to_override) {
    m.to = {*config_.to_override};
    m.cc.clear();
  }
  return outbox_.queue(r, m).queued ? 1 : 0;
}

int Notifier::queue_reports(const CheckoutInfo& c, const CheckoutReports& reports,
                            std::int64_t now) {
  int queued = 0;
  auto facts = [&](ReportKind kind, bool regressions) {
    return ReportFacts{kind, c.tree, c.branch, c.origin, regressions};
  };
  for (const auto& s : config_.subscriptions) {
    for (const auto& t : reports.tests) {
      TestReport narrowed = narrow_test_report(t, s);
      RenderedReport r = render_test_report(narrowed, config_.render);
      if (subscription_matches(s, facts(ReportKind::kTest, r.has_regressions))) {
        queued += queue_one(&s, c, r, now);
      }
    }
    if (reports.build) {
      RenderedReport r =
          render_build_report(narrow_build_report(*reports.build, s), config_.render);
      if (subscription_matches(s, facts(ReportKind::kBuild, r.has_regressions))) {
        queued += queue_one(&s, c, r, now);
      }
    }
    for (const auto& i : reports.new_issues) {
      if (subscription_matches(s, facts(ReportKind::kNewIssue, true))) {
        queued += queue_one(&s, c, render_new_issue_report(i, config_.render), now);
      }
    }
  }
  // A patchset's contacts get its test and build reports when something
  // regressed.
  if (!c.contacts.empty()) {
    for (const auto& t : reports.tests) {
      RenderedReport r = render_test_report(t, config_.render);
      if (r.has_regressions) queued += queue_one(nullptr, c, r, now);
    }
    if (reports.build) {
      RenderedReport r = render_build_report(*reports.build, config_.render);
      if (r.has_regressions) queued += queue_one(nullptr, c, r, now);
    }
  }
  return queued;
}

int Notifier::queue_bisection(const CheckoutInfo& c, const BisectionResult& result,
                              std::int64_t now) {
  int queued = 0;
  RenderedReport r = render_bisection_report(result, config_.render);
  ReportFacts facts{ReportKind::kBisection, c.tree, c.branch, c.origin, true};
  auto any = [](const std::vector<std::string>& patterns, const std::string& text) {
    if (patterns.empty()) return true;
    for (const auto& p : patterns)
      if (glob_match(p, text)) return true;
    return false;
  };
  for (const auto& s : config_.subscriptions) {
    if (!subscription_matches(s, facts)) continue;
    // Architecture, platform and test path select which bisections.
    if (!any(s.architectures, result.arch) || !any(s.platforms, result.target)) continue;
    if (!s.test_path.empty() && !glob_match(s.test_path, result.test_case)) continue;
    queued += queue_one(&s, c, r, now);
  }
  if (config_.bisection_to_culprit && !outbox_.contains(r, kCulpritSubscription)) {
    Subscription people;
    people.name = kCulpritSubscription;
    people.to = bisection_recipients(result);
    if (!config_.maintainers_tree.empty() && !result.culprit_sha.empty()) {
      try {
        for (auto& a :
             get_maintainers(config_.maintainers_tree, result.culprit_sha, config_.maintainers)) {
          bool known = false;
          for (const auto& t : people.to)
            known = known || lower_ascii(t.email) == lower_ascii(a.email);
          if (!known) people.cc.push_back(std::move(a));
        }
      } catch (const Error& e) {
        // The mail still goes to the culprit's people.
        log::warn(std::string("notify: no maintainers for the bisection report: ") + e.what());
      }
    }
    if (!people.to.empty()) queued += queue_one(&people, c, r, now);
  }
  return queued;
}

bool Notifier::jobs_pending(const std::string& checkout_id) {
  if (db_.component_version("orchestrator") <= 0) return false;
  std::string hash;
  db_.exec("SELECT COALESCE(git_commit_hash, '') FROM checkouts WHERE id = $1", {checkout_id},
           [&](const store::SqlRow& r) { hash = std::string(r.text(0)); });
  if (hash.empty() || hash.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    return false;
  // The nodes naming the commit (checkout, kbuild) and every node below
  // them (jobs, tests); a checkout node stays open for new builds, so only
  // the builds, jobs and tests count.
  bool pending = false;
  db_.exec(
      "WITH RECURSIVE sub(id) AS (SELECT id FROM orch_nodes WHERE data LIKE $1 "
      "UNION SELECT n.id FROM orch_nodes n JOIN sub ON n.parent = sub.id) "
      "SELECT 1 FROM orch_nodes o JOIN sub ON sub.id = o.id "
      "WHERE o.state <> 'done' AND o.kind <> 'checkout' LIMIT 1",
      {"%\"commit\":\"" + hash + "\"%"}, [&](const store::SqlRow&) { pending = true; });
  return pending;
}

int Notifier::process(ReportSource& source, std::int64_t now) {
  int queued = 0;
  for (const auto& id : quiet_checkouts(now)) {
    // Stays pending: looked at again in the next round.
    if (config_.wait_for_jobs && jobs_pending(id)) continue;
    CheckoutInfo c = checkout_info(id);
    queued += queue_reports(c, source.reports(c), now);
    db_.exec("DELETE FROM notify_pending WHERE checkout_id = $1 AND last_change <= $2",
             {id, std::to_string(now - config_.quiet_seconds)});
  }
  return queued;
}

}  // namespace kci::notify
