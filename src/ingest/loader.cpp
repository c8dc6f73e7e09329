// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ingest/loader.h"

#include <algorithm>
#include <map>

#include "util/time.h"

namespace kci::ingest {

namespace {

template <typename T>
std::vector<std::string> sorted_ids(const std::vector<T>& list) {
  std::vector<std::string> ids;
  ids.reserve(list.size());
  for (const T& o : list) {
    if (o.id) ids.push_back(*o.id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// id -> stored status ("" for NULL) of those ids of a table that are
// stored. The ids travel as one JSON array parameter.
using Statuses = std::map<std::string, std::string>;

Statuses stored_statuses(store::SqlConnection& sql, const char* table,
                         const std::vector<std::string>& ids) {
  Statuses out;
  if (ids.empty()) return out;
  std::string query = sql.driver() == store::Driver::kSqlite
                          ? std::string("SELECT id, status FROM ") + table +
                                " WHERE id IN (SELECT value FROM json_each($1))"
                          : std::string("SELECT id, status::text FROM ") + table +
                                " WHERE id = ANY(ARRAY(SELECT json_array_elements_text($1::json)))";
  sql.exec(query, {report::text_array_json(ids)}, [&](const store::SqlRow& r) {
    out.emplace(std::string(r.text(0)), std::string(r.text(1)));
  });
  return out;
}

// The ids whose status after differs from before (a new object with a
// status counts; one without does not), in the sorted order of ids.
std::vector<std::string> status_changed(const std::vector<std::string>& ids, const Statuses& before,
                                        const Statuses& after) {
  std::vector<std::string> out;
  for (const auto& id : ids) {
    auto a = after.find(id);
    if (a == after.end()) continue;
    auto b = before.find(id);
    std::string old_status = b == before.end() ? "" : b->second;
    if (a->second != old_status) out.push_back(id);
  }
  return out;
}

}  // namespace

ObjectsChanged objects_of(const report::Report& r) {
  ObjectsChanged e;
  e.checkouts = sorted_ids(r.checkouts);
  e.builds = sorted_ids(r.builds);
  e.tests = sorted_ids(r.tests);
  e.incidents = sorted_ids(r.incidents);
  for (const auto& issue : r.issues) e.issues.push_back(report::key_of(issue));
  std::sort(e.issues.begin(), e.issues.end());
  e.issues.erase(std::unique(e.issues.begin(), e.issues.end()), e.issues.end());
  return e;
}

Loader::Loader(store::Store& store, ChangeBus* bus) : store_(store), bus_(bus) {}

ObjectsChanged Loader::load(report::Report report, const store::LoadOptions& options) {
  // The change log's tables, once the store's exist (else the store's load
  // says which command makes them).
  if (!migrated_ && store_.initialized()) {
    store_.with_sql([](store::SqlConnection& sql) { ChangeLog log(sql); });
    migrated_ = true;
  }
  ObjectsChanged event = objects_of(report);
  Statuses builds_before, tests_before;
  store::LoadOptions o = options;
  o.before_write = [&](store::SqlConnection& sql) {
    if (options.before_write) options.before_write(sql);
    builds_before = stored_statuses(sql, "builds", event.builds);
    tests_before = stored_statuses(sql, "tests", event.tests);
  };
  o.after_write = [&](store::SqlConnection& sql) {
    if (options.after_write) options.after_write(sql);
    event.builds_status_changed =
        status_changed(event.builds, builds_before, stored_statuses(sql, "builds", event.builds));
    event.tests_status_changed =
        status_changed(event.tests, tests_before, stored_statuses(sql, "tests", event.tests));
    event.committed_at = now_rfc3339();
    if (!event.empty()) ChangeLog(sql, false).append_in_transaction(event);
  };
  store_.load(std::move(report), o);
  if (bus_ && !event.empty()) bus_->publish(event);
  return event;
}

}  // namespace kci::ingest
