// SPDX-License-Identifier: LGPL-2.1-or-later
#include "orchestrator/pull_worker.h"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "client/http_client.h"
#include "orchestrator/wire.h"
#include "report/json.h"
#include "util/error.h"

namespace kci::orchestrator {

namespace {

std::string quote(const std::string& s) {
  json::Value v(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
  return json::write(v);
}

// POSTs with retries on connection errors and 5xx, up to give_up.
client::HttpResponse post(client::HttpClient& http, const PullWorkerOptions& o,
                          const std::string& route, const std::string& body,
                          const std::atomic<bool>* stop) {
  auto start = std::chrono::steady_clock::now();
  std::chrono::milliseconds wait(250);
  for (;;) {
    client::HttpResponse r = http.post_json(o.url + "/api/v1/worker/" + route, body, o.token);
    if (r.status == 401 || r.status == 403) {
      throw Error("kci serve refused the worker's token on " + route + ": " + r.body);
    }
    if (r.status != 0 && r.status < 500) return r;
    if (std::chrono::steady_clock::now() - start > o.give_up || (stop && *stop)) {
      throw Error("kci serve at " + o.url + " did not answer " + route + ": " +
                  (r.status ? "HTTP " + std::to_string(r.status) + " " + r.body : r.error));
    }
    std::this_thread::sleep_for(wait);
    wait = std::min(wait * 2, std::chrono::milliseconds(8000));
  }
}

json::Document parse(const client::HttpResponse& r, const std::string& route) {
  json::Document doc;
  doc.Parse(r.body.data(), r.body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    throw Error("kci serve's answer to " + route + " is not a JSON object (HTTP " +
                std::to_string(r.status) + ")");
  }
  return doc;
}

}  // namespace

PullWorkerSummary run_pull_worker(Executor& executor, const PullWorkerOptions& o,
                                  const std::atomic<bool>* stop) {
  PullWorkerSummary summary;
  client::HttpClient http;
  auto say = [&](const std::string& line) {
    if (o.progress) o.progress(line);
  };
  const std::string who = R"({"worker":)" + quote(o.name);
  while (!(stop && *stop)) {
    client::HttpResponse r = post(http, o, "claim", who + "}", stop);
    if (r.status != 200) throw Error("claim: HTTP " + std::to_string(r.status) + " " + r.body);
    json::Document claim = parse(r, "claim");
    if (!claim.HasMember("node") || claim["node"].IsNull()) {
      if (o.until_idle && claim.HasMember("idle") && claim["idle"].IsBool() &&
          claim["idle"].GetBool()) {
        break;
      }
      std::this_thread::sleep_for(o.poll);
      continue;
    }
    Node node = node_from_json(claim["node"], "/node");
    Node parent;
    if (claim.HasMember("parent") && claim["parent"].IsObject()) {
      parent = node_from_json(claim["parent"], "/parent");
    }
    int lease = claim.HasMember("lease_seconds") && claim["lease_seconds"].IsInt()
                    ? claim["lease_seconds"].GetInt()
                    : 60;
    say("running " + std::string(kind_name(node.kind)) + " " + std::to_string(node.id) + " " +
        node.name + (node.retries ? " (retry " + std::to_string(node.retries) + ")" : ""));

    // Heartbeats at a third of the lease while the executor runs.
    std::mutex m;
    std::condition_variable cv;
    bool finished = false;
    std::thread beat([&] {
      client::HttpClient beat_http;
      std::string body = who + R"(,"node":)" + std::to_string(node.id) + "}";
      auto period = std::chrono::milliseconds(std::max(1, lease) * 1000 / 3);
      std::unique_lock lock(m);
      while (!cv.wait_for(lock, period, [&] { return finished; })) {
        lock.unlock();
        client::HttpResponse b =
            beat_http.post_json(o.url + "/api/v1/worker/heartbeat", body, o.token);
        if (b.status == 409) say("node " + std::to_string(node.id) + ": lease lost");
        lock.lock();
      }
    });
    Outcome out = run_executor(executor, node, parent);
    {
      std::lock_guard lock(m);
      finished = true;
    }
    cv.notify_all();
    beat.join();

    std::string body = who + R"(,"node":)" + std::to_string(node.id) + R"(,"outcome":)" +
                       outcome_to_json(out) + "}";
    client::HttpResponse done = post(http, o, "complete", body, stop);
    ++summary.executed;
    if (done.status == 409) {
      ++summary.refused;
      say("node " + std::to_string(node.id) + ": the server took it back; outcome dropped");
    } else if (done.status != 200) {
      throw Error("complete of node " + std::to_string(node.id) + ": HTTP " +
                  std::to_string(done.status) + " " + done.body);
    } else {
      say("done " + std::string(kind_name(node.kind)) + " " + std::to_string(node.id) + " " +
          node.name + ": " + std::string(result_name(out.result)) +
          (out.infrastructure_error ? " (infrastructure error: " + out.reason + ")" : ""));
    }
  }
  return summary;
}

}  // namespace kci::orchestrator
