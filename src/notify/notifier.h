// SPDX-License-Identifier: LGPL-2.1-or-later
// From "these objects changed" to queued mails. Ingest change events mark
// the checkouts they touch as pending; a checkout's reports are made once
// its results have been quiet for `quiet_seconds`, for every subscription
// that wants them, and queued in the outbox (which deduplicates and
// threads). Where the report data comes from is a ReportSource: the
// analysis layer (regressions, known issues, unstable tests) implements it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ingest/change_event.h"
#include "notify/build_source.h"
#include "notify/maintainers.h"
#include "notify/outbox.h"
#include "notify/reports.h"
#include "notify/subscriptions.h"

namespace kci::notify {

// What kci knows of a checkout for addressing its reports.
struct CheckoutInfo {
  std::string id, tree, branch, origin;
  // A patchset checkout: its contacts (misc.contacts; KCIDB 5 dropped the
  // checkout's own contacts field) get the reports, which reply to its
  // message_id.
  std::vector<std::string> contacts;
  std::string message_id;
};

struct CheckoutReports {
  std::vector<TestReport> tests;  // one per plan
  std::optional<BuildReport> build;
  std::vector<NewIssueReport> new_issues;
};

class ReportSource {
 public:
  virtual ~ReportSource() = default;
  virtual CheckoutReports reports(const CheckoutInfo& checkout) = 0;
};

// The outbox subscription name of the bisection mails to the culprit's
// people.
inline constexpr const char* kCulpritSubscription = "culprit";

struct NotifierConfig {
  std::vector<Subscription> subscriptions;
  Address from{"kci", "kci@localhost"};
  std::string domain = "localhost";
  std::optional<Address> to_override;  // trial runs: every mail goes here only
  long quiet_seconds = 600;
  RenderOptions render;
  // Bisection reports also go to the people of the culprit commit: To its
  // author, committer and trailer addresses (bisection_recipients), Cc the
  // maintainers of the files it touches (get_maintainer.pl of
  // maintainers_tree), as one more mail next to the subscriptions' ones
  // (outbox subscription "culprit"). false: subscriptions only, for set-ups
  // that must not mail the kernel's developers.
  bool bisection_to_culprit = true;
  // A kernel git work tree holding the culprit commit (the tree kci bisects
  // in); "" or a tree without scripts/get_maintainer.pl: no maintainers.
  std::string maintainers_tree;
  MaintainerOptions maintainers;
  BuildSourceOptions build;  // how live build reports read build logs
  // Under the orchestrator (kci run's orch_nodes in the same database): a
  // quiet checkout still waits while build, job or test nodes for its
  // commit are not done, so that its reports cover every scheduled job.
  bool wait_for_jobs = true;
};

class Notifier {
 public:
  Notifier(store::SqlConnection& db, NotifierConfig config);

  // Marks the checkouts the event touched (directly, or through its builds
  // and tests) as pending, with `now` as their last change.
  void on_change(const ingest::ObjectsChanged& event, std::int64_t now);
  // Marks one checkout pending (tests, manual runs).
  void touch(const std::string& checkout_id, std::int64_t now);
  // The pending checkouts quiet since now - quiet_seconds.
  std::vector<std::string> quiet_checkouts(std::int64_t now);
  // Queues the reports of every quiet checkout and clears it; returns the
  // number of mails queued (not counting ones queued before).
  int process(ReportSource& source, std::int64_t now);
  // Queues the reports of one checkout for the subscriptions that want
  // them; returns the number of mails newly queued.
  int queue_reports(const CheckoutInfo& checkout, const CheckoutReports& reports, std::int64_t now);

  // Queues a bisection's report for the subscriptions that want bisection
  // reports of `checkout` (the bisection's first failing checkout) and whose
  // architectures, platforms and test path (if given) match it, and (unless
  // config.bisection_to_culprit is false) for the culprit's people and
  // maintainers; returns the number of mails newly queued.
  int queue_bisection(const CheckoutInfo& checkout, const BisectionResult& result,
                      std::int64_t now);

  CheckoutInfo checkout_info(const std::string& checkout_id);
  // Whether the orchestrator still has nodes that are not done for the
  // checkout's commit (false without an orchestrator in this database).
  bool jobs_pending(const std::string& checkout_id);
  Outbox& outbox() { return outbox_; }

 private:
  int queue_one(const Subscription* s, const CheckoutInfo& c, const RenderedReport& r,
                std::int64_t now);

  store::SqlConnection& db_;
  NotifierConfig config_;
  Outbox outbox_;
};

}  // namespace kci::notify
