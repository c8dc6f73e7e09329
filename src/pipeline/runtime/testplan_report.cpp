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

json::Document make_test_report(const std::vector<TestOutcome>& outcomes,
                                const TestRunContext& context) {
  json::Document doc;
  doc.SetObject();
  auto& a = doc.GetAllocator();
  auto str = [&](const std::string& s) {
    return json::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a);
  };
  json::Value version(rapidjson::kObjectType);
  version.AddMember("major", 5, a);
  version.AddMember("minor", 3, a);
  doc.AddMember("version", version, a);
  json::Value tests(rapidjson::kArrayType);
  for (const TestOutcome& outcome : outcomes) {
    json::Value t(rapidjson::kObjectType);
    t.AddMember("id", str(context.origin + ":" + context.run_id + "." + outcome.path), a);
    t.AddMember("origin", str(context.origin), a);
    t.AddMember("build_id", str(context.build_id), a);
    t.AddMember("path", str(outcome.path), a);
    t.AddMember("status", str(std::string(report::status_name(outcome.status))), a);
    if (!context.start_time.empty()) t.AddMember("start_time", str(context.start_time), a);
    t.AddMember("duration", context.duration, a);
    json::Value environment(rapidjson::kObjectType);
    if (!context.environment_comment.empty()) {
      environment.AddMember("comment", str(context.environment_comment), a);
    }
    if (!context.compatible.empty()) {
      json::Value compatible(rapidjson::kArrayType);
      for (const std::string& c : context.compatible) compatible.PushBack(str(c), a);
      environment.AddMember("compatible", compatible, a);
    }
    t.AddMember("environment", environment, a);
    if (!outcome.comment.empty()) t.AddMember("comment", str(outcome.comment), a);
    if (!context.log_url.empty()) t.AddMember("log_url", str(context.log_url), a);
    if (!outcome.log_excerpt.empty()) {
      t.AddMember("log_excerpt", str(outcome.log_excerpt.substr(0, 16384)), a);
    }
    // KCIDB: a number is only meaningful with a verdict (not MISS/SKIP).
    if (outcome.number && outcome.status != Status::kMiss && outcome.status != Status::kSkip) {
      json::Value number(rapidjson::kObjectType);
      number.AddMember("value", *outcome.number, a);
      if (!outcome.unit.empty()) number.AddMember("unit", str(outcome.unit), a);
      t.AddMember("number", number, a);
    }
    if (!context.output_files.empty()) {
      json::Value files(rapidjson::kArrayType);
      for (const auto& [name, url] : context.output_files) {
        json::Value file(rapidjson::kObjectType);
        file.AddMember("name", str(name), a);
        file.AddMember("url", str(url), a);
        files.PushBack(file, a);
      }
      t.AddMember("output_files", files, a);
    }
    json::Value misc(rapidjson::kObjectType);
    for (const auto& [key, value] : context.misc) misc.AddMember(str(key), str(value), a);
    t.AddMember("misc", misc, a);
    tests.PushBack(t, a);
  }
  doc.AddMember("tests", tests, a);
  return doc;
}

}  // namespace kci::pipeline
