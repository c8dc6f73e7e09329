// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/lava/lava_submit.h"

#include <cctype>

#include "client/http_client.h"
#include "client/retry.h"
#include "report/json.h"
#include "util/error.h"
#include "util/text.h"

namespace kci::pipeline {

namespace {

std::string base_url(const LavaServer& server) {
  std::string url = server.url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + "/api/v0.2";
}

std::string query_escape(const std::string& text) { return percent_encode(text, "-_."); }

// GETs are retried on connection errors and 5xx (they change nothing);
// the job POST never is (a retry could queue the job twice).
client::RetryPolicy get_retries() {
  client::RetryPolicy policy;
  policy.attempts = 3;
  return policy;
}

// One HTTP request through the project's HTTP client; the token goes in a
// header ("Authorization: Token ..."), never on a command line.
json::Document request(const LavaServer& server, const std::string& method, const std::string& url,
                       const std::string& body = "") {
  client::HttpClient http;
  client::HttpRequest req;
  req.method = method;
  req.url = url;
  req.headers = {"Authorization: Token " + server.token, "Accept: application/json"};
  if (method == "POST") req.body = &body;
  client::HttpResponse r = method == "GET"
                               ? client::with_retries(get_retries(), [&] { return http.send(req); })
                               : http.send(req);
  if (r.status == 0) throw Error("LAVA " + method + " " + url + " failed: " + r.error);
  if (r.status >= 400) {
    throw Error("LAVA " + method + " " + url + " failed: HTTP " + std::to_string(r.status) + ": " +
                r.body.substr(0, 500));
  }
  json::Document doc;
  doc.Parse(r.body.data(), r.body.size());
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
  json::Document queue =
      request(server, "GET",
              api + "/jobs/?state=Submitted&requested_device_type=" + query_escape(device_type) +
                  "&limit=1");
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
