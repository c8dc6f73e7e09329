// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/lava/lava_submit.h"

#include <cctype>
#include <cstdio>

#include "report/json.h"
#include "util/error.h"
#include "util/subprocess.h"
#include "util/text.h"

namespace kci::pipeline {

namespace {

std::string base_url(const LavaServer& server) {
  std::string url = server.url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + "/api/v0.2";
}

std::string query_escape(const std::string& text) { return percent_encode(text, "-_."); }

// One HTTP request; the token goes through stdin (curl -H @-), not argv,
// so other users of the machine cannot read it in the process list.
json::Document request(const LavaServer& server, const std::string& method, const std::string& url,
                       const std::string& body = "") {
  std::vector<std::string> argv{"curl", "-sS", "--fail-with-body", "--max-time", "60",
                                "-X", method, "-H", "@-", "-H", "Accept: application/json"};
  RunOptions options;
  std::string headers = "Authorization: Token " + server.token + "\n";
  if (!body.empty()) {
    headers += "Content-Type: application/json\n";
    argv.insert(argv.end(), {"--data-binary", body});
  }
  options.stdin_data = headers;
  argv.push_back(url);
  RunResult result = run_process(argv, options);
  if (!result.ok()) {
    throw Error("LAVA " + method + " " + url + " failed: " + result.err + result.out);
  }
  json::Document doc;
  doc.Parse(result.out.data(), result.out.size());
  if (doc.HasParseError()) throw Error("LAVA " + url + ": the answer is not JSON");
  return doc;
}

}  // namespace

LavaSubmission submit_lava_job(const LavaServer& server, const std::string& device_type,
                               const std::string& definition) {
  LavaSubmission out;
  std::string api = base_url(server);
  json::Document devices =
      request(server, "GET", api + "/devices/?device_type=" + query_escape(device_type));
  if (devices.IsObject() && devices.HasMember("results") && devices["results"].IsArray()) {
    for (const auto& d : devices["results"].GetArray()) {
      if (d.IsObject() && d.HasMember("health") && d["health"].IsString() &&
          json::str(d["health"]) == "Good") {
        ++out.online_devices;
      }
    }
  }
  json::Document queue = request(
      server, "GET",
      api + "/jobs/?state=Submitted&requested_device_type=" + query_escape(device_type) + "&limit=1");
  if (queue.IsObject() && queue.HasMember("count") && queue["count"].IsInt()) {
    out.queued_jobs = queue["count"].GetInt();
  }
  if (out.online_devices == 0) {
    out.reason = "no online " + device_type + " device";
    return out;
  }
  if (out.queued_jobs >= server.max_queue_depth * out.online_devices) {
    out.reason = "queue too deep: " + std::to_string(out.queued_jobs) + " jobs for " +
                 std::to_string(out.online_devices) + " " + device_type + " devices";
    return out;
  }
  json::Document body;
  body.SetObject();
  body.AddMember("definition", json::Value(definition.c_str(), body.GetAllocator()),
                 body.GetAllocator());
  json::Document answer = request(server, "POST", api + "/jobs/", json::write(body));
  if (answer.IsObject() && answer.HasMember("job_ids") && answer["job_ids"].IsArray()) {
    for (const auto& id : answer["job_ids"].GetArray()) {
      if (id.IsInt64()) out.job_ids.push_back(id.GetInt64());
    }
  }
  if (out.job_ids.empty()) throw Error("LAVA accepted the job but returned no job id");
  out.submitted = true;
  return out;
}

}  // namespace kci::pipeline
