// SPDX-License-Identifier: LGPL-2.1-or-later
#include "web/counts.h"

#include <tuple>

#include "report/json.h"

namespace kci::web {

void StatusCounts::add(std::string_view status, std::int64_t n) {
  if (status == "PASS")
    pass += n;
  else if (status == "FAIL")
    fail += n;
  else if (status == "ERROR")
    error += n;
  else if (status == "MISS")
    miss += n;
  else if (status == "SKIP")
    skip += n;
  else if (status == "DONE")
    done += n;
  else
    none += n;
}

namespace {

std::string member_text(const json::Value& obj, const char* name) {
  if (!obj.IsObject()) return {};
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return std::string(json::str(it->value));
}

}  // namespace

void test_environment(std::string_view misc_json, std::string_view compatible_json,
                      std::string& platform, std::string& lab, std::string& plan) {
  platform.clear();
  lab.clear();
  plan.clear();
  if (!misc_json.empty()) {
    json::Document misc;
    misc.Parse(misc_json.data(), misc_json.size());
    if (!misc.HasParseError()) {
      platform = member_text(misc, "platform");
      lab = member_text(misc, "lab");
      plan = member_text(misc, "plan");
    }
  }
  if (platform.empty() && !compatible_json.empty()) {
    json::Document compatible;
    compatible.Parse(compatible_json.data(), compatible_json.size());
    if (!compatible.HasParseError() && compatible.IsArray() && !compatible.Empty() &&
        compatible[0].IsString()) {
      platform = json::str(compatible[0]);
    }
  }
}

CheckoutCounts CountsCache::counts(store::SqlConnection& db, const std::string& checkout_id) {
  Clock::time_point now = Clock::now();
  {
    std::lock_guard lock(mutex_);
    auto it = counts_.find(checkout_id);
    if (it != counts_.end() && it->second.expires > now) return it->second.value;
  }
  CheckoutCounts c;
  db.exec("SELECT status, COUNT(*) FROM builds WHERE checkout_id = $1 GROUP BY status",
          {checkout_id},
          [&](const store::SqlRow& row) { c.builds.add(row.text(0), row.integer(1)); });
  db.exec(
      "SELECT t.status, COUNT(*) FROM builds b JOIN tests t ON t.build_id = b.id "
      "WHERE b.checkout_id = $1 GROUP BY t.status",
      {checkout_id}, [&](const store::SqlRow& row) { c.tests.add(row.text(0), row.integer(1)); });
  std::lock_guard lock(mutex_);
  if (counts_.size() >= kMaxEntries) counts_.clear();
  counts_[checkout_id] = {c, now + ttl_};
  return c;
}

std::shared_ptr<const std::vector<TestGroup>> CountsCache::groups(store::SqlConnection& db,
                                                                  const std::string& checkout_id) {
  Clock::time_point now = Clock::now();
  {
    std::lock_guard lock(mutex_);
    auto it = groups_.find(checkout_id);
    if (it != groups_.end() && it->second.expires > now) return it->second.value;
  }
  bool pg = db.driver() == store::Driver::kPostgresql;
  std::string sql = pg ? "SELECT t.status, t.misc::text, to_json(t.environment_compatible)::text "
                       : "SELECT t.status, t.misc, t.environment_compatible ";
  sql += "FROM builds b JOIN tests t ON t.build_id = b.id WHERE b.checkout_id = $1";
  std::map<std::tuple<std::string, std::string, std::string>, StatusCounts> by_group;
  std::string platform, lab, plan;
  db.exec(sql, {checkout_id}, [&](const store::SqlRow& row) {
    test_environment(row.text(1), row.text(2), platform, lab, plan);
    by_group[{platform, lab, plan}].add(row.text(0), 1);
  });
  auto groups = std::make_shared<std::vector<TestGroup>>();
  for (auto& [key, counts] : by_group) {
    groups->push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), counts});
  }
  std::lock_guard lock(mutex_);
  if (groups_.size() >= kMaxEntries) groups_.clear();
  groups_[checkout_id] = {groups, now + ttl_};
  return groups;
}

}  // namespace kci::web
