// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/runtime/testplan_report.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <random>

#include "util/sha256.h"
#include "util/text.h"

namespace kci::pipeline {

std::string make_run_id(const std::string& seed) {
  std::random_device random;
  auto now = std::chrono::system_clock::now().time_since_epoch().count();
  return sha256_hex(seed + "\n" + std::to_string(now) + "\n" + std::to_string(random()))
      .substr(0, 16);
}

std::string file_url_of_path(const std::string& absolute_path) {
  return "file://" + percent_encode(absolute_path, "/-_.~");
}

report::Report make_test_report(const std::vector<TestOutcome>& outcomes,
                                const TestRunContext& context) {
  // output_files and misc are free-form JSON in the model (text): the same
  // for every test of the run.
  json::Document files(rapidjson::kArrayType);
  for (const auto& [name, url] : context.output_files) {
    auto& a = files.GetAllocator();
    json::Value file(rapidjson::kObjectType);
    file.AddMember("name", json::Value(name, a), a);
    file.AddMember("url", json::Value(url, a), a);
    files.PushBack(file, a);
  }
  json::Document misc(rapidjson::kObjectType);
  for (const auto& [key, value] : context.misc) {
    auto& a = misc.GetAllocator();
    misc.AddMember(json::Value(key, a), json::Value(value, a), a);
  }
  std::string files_text = json::write(files);
  std::string misc_text = json::write(misc);

  report::Report out;
  out.tests.reserve(outcomes.size());
  for (const TestOutcome& outcome : outcomes) {
    report::Test& t = out.tests.emplace_back();
    t.id = context.origin + ":" + context.run_id + "." + outcome.path;
    t.origin = context.origin;
    t.build_id = context.build_id;
    t.path = outcome.path;
    t.status = std::string(report::status_name(outcome.status));
    if (!context.start_time.empty()) t.start_time = context.start_time;
    t.duration = context.duration;
    if (!context.environment_comment.empty()) t.environment_comment = context.environment_comment;
    if (!context.compatible.empty()) t.environment_compatible = context.compatible;
    if (!outcome.comment.empty()) t.comment = outcome.comment;
    if (!context.log_url.empty()) t.log_url = context.log_url;
    if (!outcome.log_excerpt.empty())
      t.log_excerpt = outcome.log_excerpt.substr(0, report::kMaxLogExcerpt);
    // KCIDB: a number is only meaningful with a verdict (not MISS/SKIP).
    if (outcome.number && outcome.status != Status::kMiss && outcome.status != Status::kSkip) {
      t.number_value = *outcome.number;
      if (!outcome.unit.empty()) t.number_unit = outcome.unit;
    }
    if (!context.output_files.empty()) t.output_files = files_text;
    t.misc = misc_text;
  }
  return out;
}

}  // namespace kci::pipeline
