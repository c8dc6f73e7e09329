// SPDX-License-Identifier: LGPL-2.1-or-later
#include "orchestrator/orchestrator.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "analysis/analyzer.h"
#include "analysis/git_order.h"
#include "ingest/change_log.h"
#include "ingest/loader.h"
#include "store/sql.h"
#include "store/store.h"
#include "store/wakeup.h"
#include "util/error.h"

namespace kci::orchestrator {

namespace {

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

const std::vector<NodeKind> kRunnable = {NodeKind::kKbuild, NodeKind::kJob};

}  // namespace

std::string default_owner() { return host_name() + ":" + std::to_string(getpid()); }

bool owner_is_dead(const std::string& owner, bool include_self) {
  // host:pid[:worker]
  auto first = owner.find(':');
  if (first == std::string::npos) return false;
  if (owner.substr(0, first) != host_name()) return false;
  auto second = owner.find(':', first + 1);
  std::string pid_text =
      owner.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
  if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  long pid = std::stol(pid_text);
  if (pid <= 0) return false;
  if (pid == getpid()) return include_self;
  return kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

std::string describe_counts(const std::vector<NodeCount>& counts) {
  std::map<NodeKind, std::map<std::string, std::int64_t>> by_kind;
  for (const NodeCount& c : counts) {
    std::string key(state_name(c.state));
    if (c.result) key += "/" + std::string(result_name(*c.result));
    by_kind[c.kind][key] += c.count;
  }
  std::string out;
  for (const auto& [kind, states] : by_kind) {
    std::int64_t total = 0;
    std::string parts;
    for (const auto& [state, n] : states) {
      total += n;
      if (!parts.empty()) parts += ", ";
      parts += std::to_string(n) + " " + state;
    }
    out += std::string(kind_name(kind)) + ": " + std::to_string(total) + " (" + parts + ")\n";
  }
  if (out.empty()) out = "no nodes\n";
  return out;
}

struct Orchestrator::Shared {
  std::mutex mutex;
  std::condition_variable wake;
  std::atomic<bool> done{false};
  std::atomic<std::int64_t> executed{0}, retried{0}, loaded{0}, load_errors{0}, analysed{0};
  std::atomic<bool> analysis_done{false};
  // The on_idle hook runs (workers claim nothing) / workers between the
  // look at that flag and the end of their node's recording. The two make a
  // Dekker-style handshake (sequentially consistent atomics): the hook
  // runs only when, with its flag up, no worker is busy, and a worker
  // claims only when, counted busy, it sees the flag down.
  std::atomic<bool> idle_hook{false};
  std::atomic<int> busy{0};
  std::mutex progress_mutex;
  std::exception_ptr error;
};

Orchestrator::Orchestrator(const pipeline::PipelineConfig& config, Executor& executor,
                           OrchestratorOptions options)
    : config_(config), executor_(executor), options_(std::move(options)) {
  if (options_.owner.empty()) options_.owner = default_owner();
  if (options_.workers < 0) options_.workers = 0;
}

void Orchestrator::worker(int index, Shared& shared) {
  auto say = [&](const std::string& line) {
    if (!options_.progress) return;
    std::lock_guard lock(shared.progress_mutex);
    options_.progress(line);
  };
  try {
    auto sql = store::SqlConnection::open(options_.database);
    NodeStore nodes(*sql, options_.clock);
    auto results = store::open_store(options_.database);
    ingest::Loader loader(*results);
    std::string owner = options_.owner + ":w" + std::to_string(index);

    struct Busy {
      std::atomic<int>& busy;
      bool on = false;
      void enter() {
        if (!on) ++busy;
        on = true;
      }
      void leave() {
        if (on) --busy;
        on = false;
      }
      ~Busy() { leave(); }
    } busy{shared.busy};
    while (!shared.done) {
      busy.enter();
      std::optional<Node> node;
      if (!shared.idle_hook) node = nodes.claim(kRunnable, owner);
      if (!node) {
        busy.leave();
        std::unique_lock lock(shared.mutex);
        shared.wake.wait_for(lock, options_.poll);
        continue;
      }
      std::optional<Node> parent = nodes.get(node->parent);
      if (!parent) parent = Node{};
      say("running " + std::string(kind_name(node->kind)) + " " + std::to_string(node->id) + " " +
          node->name + (node->retries ? " (retry " + std::to_string(node->retries) + ")" : ""));
      Outcome out = run_executor(executor_, *node, *parent);
      Recorded rec = record_outcome(nodes, loader, *node, std::move(out), owner,
                                    options_.max_retries, options_.retry_holdoff);
      shared.loaded += rec.loaded;
      if (!rec.load_error.empty()) {
        ++shared.load_errors;
        say("node " + std::to_string(node->id) + ": loading its results failed: " + rec.load_error);
      }
      ++shared.executed;
      if (rec.retry) ++shared.retried;
      std::string what =
          std::string(kind_name(node->kind)) + " " + std::to_string(node->id) + " " + node->name;
      std::optional<Node> after = nodes.get(node->id);
      std::string reason = after ? after->get(rec.retry ? "last_error" : "reason") : "";
      if (!rec.recorded) {
        say("node " + std::to_string(node->id) + ": claim was taken back meanwhile");
      } else if (rec.retry) {
        say("retry " + what + ": " + reason);
      } else {
        NodeResult r = after && after->result ? *after->result : NodeResult::kIncomplete;
        say("done " + what + ": " + std::string(result_name(r)) +
            (r == NodeResult::kPass || reason.empty() ? "" : " (" + reason + ")"));
      }
      busy.leave();
      shared.wake.notify_all();
    }
  } catch (...) {
    {
      std::lock_guard lock(shared.mutex);
      if (!shared.error) shared.error = std::current_exception();
    }
    shared.done = true;
    shared.wake.notify_all();
  }
}

Recorded record_outcome(NodeStore& nodes, ingest::Loader& loader, const Node& node, Outcome out,
                        const std::string& owner, int max_retries,
                        std::chrono::milliseconds holdoff) {
  Recorded rec;
  rec.retry = out.infrastructure_error && node.retries < max_retries;
  // The KCIDB objects of the final attempt, through the one ingest door,
  // unless the claim was taken back meanwhile (another attempt runs).
  std::optional<Node> now = nodes.get(node.id);
  bool still_ours = now && now->state == NodeState::kRunning && now->owner == owner;
  if (!rec.retry && still_ours && !out.report.empty()) {
    try {
      std::size_t n = out.report.size();
      loader.load(out.report);
      rec.loaded = static_cast<std::int64_t>(n);
    } catch (const std::exception& e) {
      rec.load_error = e.what();
    }
  }
  Finish f;
  f.data = out.data;
  if (!out.reason.empty()) f.data[rec.retry ? "last_error" : "reason"] = out.reason;
  if (rec.retry) {
    f.state = NodeState::kAvailable;
    f.retry = true;
    f.holdoff = nodes.now() + holdoff.count();
  } else {
    f.state = NodeState::kDone;
    f.result = out.result;
  }
  rec.recorded = nodes.sql().transaction([&] {
    if (!nodes.finish(node.id, owner, f)) return false;
    if (!rec.retry) {
      for (const TestResult& t : out.tests) {
        NewNode test;
        test.kind = NodeKind::kTest;
        test.parent = node.id;
        test.name = t.path;
        test.state = NodeState::kDone;
        test.result = t.result;
        test.timeout_seconds = 0;
        nodes.create(test);
      }
    }
    return true;
  });
  return rec;
}

ingest::ObjectsChanged merge_events(const std::vector<ingest::ObjectsChanged>& events) {
  ingest::ObjectsChanged m;
  auto add = [](std::vector<std::string>& to, const std::vector<std::string>& from) {
    to.insert(to.end(), from.begin(), from.end());
  };
  for (const ingest::ObjectsChanged& e : events) {
    add(m.checkouts, e.checkouts);
    add(m.builds, e.builds);
    add(m.tests, e.tests);
    add(m.incidents, e.incidents);
    add(m.builds_status_changed, e.builds_status_changed);
    add(m.tests_status_changed, e.tests_status_changed);
    m.issues.insert(m.issues.end(), e.issues.begin(), e.issues.end());
    m.sequence = e.sequence;
    m.committed_at = e.committed_at;
  }
  auto tidy = [](auto& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  };
  tidy(m.checkouts);
  tidy(m.builds);
  tidy(m.tests);
  tidy(m.incidents);
  tidy(m.builds_status_changed);
  tidy(m.tests_status_changed);
  tidy(m.issues);
  return m;
}

namespace {

// Checkouts are ordered by git ancestry where the monitor's mirrors are
// ($KCI_MIRRORS), as kci serve and kci analyze order them; else by time.
analysis::AnalysisOptions analysis_options() {
  analysis::AnalysisOptions options;
  options.repositories = analysis::repositories_from_env();
  return options;
}

}  // namespace

void Orchestrator::analysis_service(Shared& shared) {
  try {
    auto sql = store::SqlConnection::open(options_.database);
    auto results = store::open_store(options_.database);
    analysis::Analyzer analyzer(*results, *sql, analysis_options());
    ingest::ChangeLog log(*sql, false);
    while (!shared.analysis_done) {
      std::vector<ingest::ObjectsChanged> events =
          log.read_after(log.cursor(kAnalysisConsumer), options_.analysis_batch);
      if (events.empty()) {
        std::unique_lock lock(shared.mutex);
        shared.wake.wait_for(lock, options_.poll);
        continue;
      }
      analyzer.update(merge_events(events));
      log.advance(kAnalysisConsumer, events.back().sequence);
      shared.analysed += static_cast<std::int64_t>(events.size());
      shared.wake.notify_all();
    }
  } catch (...) {
    {
      std::lock_guard lock(shared.mutex);
      if (!shared.error) shared.error = std::current_exception();
    }
    shared.done = true;
    shared.wake.notify_all();
  }
}

RunSummary Orchestrator::run(const std::atomic<bool>* stop) {
  auto start = std::chrono::steady_clock::now();
  RunSummary summary;
  auto sql = store::SqlConnection::open(options_.database);
  // Every table the workers write, created once here (not by racing workers).
  NodeStore::migrate(*sql);
  ingest::ChangeLog change_log(*sql);
  if (options_.analyze) {
    auto results = store::open_store(options_.database);
    analysis::Analyzer warm(*results, *sql, analysis_options());
  }
  NodeStore nodes(*sql, options_.clock);
  Scheduler scheduler(config_, nodes, options_.scheduler);
  // Claims of this host's processes that are gone (kill -9), this one's
  // included (a previous run with the same pid).
  summary.reclaimed += static_cast<std::int64_t>(nodes.reclaim(
      options_.max_retries, [](const std::string& o) { return owner_is_dead(o, true); }));

  Shared shared;
  std::vector<std::thread> threads;
  std::unique_ptr<store::WakeupListener> listener;
  struct Joiner {
    Shared& shared;
    std::vector<std::thread>& threads;
    std::unique_ptr<store::WakeupListener>& listener;
    ~Joiner() {
      shared.done = true;
      shared.analysis_done = true;
      shared.wake.notify_all();
      if (listener) listener->interrupt();
      for (auto& t : threads) t.join();
    }
  } joiner{shared, threads, listener};
  for (int i = 0; i < options_.workers; ++i) {
    threads.emplace_back([this, i, &shared] { worker(i, shared); });
  }
  if (options_.analyze) threads.emplace_back([this, &shared] { analysis_service(shared); });
  // PostgreSQL: another process's node transitions and loads wake this
  // one's scheduler, workers and analysis at once (store/wakeup.h).
  if (options_.database.driver == store::Driver::kPostgresql) {
    listener = std::make_unique<store::WakeupListener>(
        options_.database, std::vector<std::string>{store::kNodesChannel, store::kChangesChannel});
    threads.emplace_back([&shared, &listener] {
      while (!shared.done) {
        if (listener->wait(std::chrono::seconds(5))) shared.wake.notify_all();
      }
    });
  }

  for (;;) {
    ScheduleStats stats = scheduler.step();
    if (stats.created > 0) shared.wake.notify_all();
    summary.reclaimed += static_cast<std::int64_t>(nodes.reclaim(
        options_.max_retries, [](const std::string& o) { return owner_is_dead(o, false); }));
    if (shared.done) break;  // a worker failed
    if (stop && *stop) break;
    auto idle = [&] {
      return nodes.pending(kRunnable) == 0 &&
             nodes.cursor(options_.scheduler.service) == nodes.last_event() &&
             (!options_.analyze ||
              change_log.cursor(kAnalysisConsumer) >= change_log.last_sequence());
    };
    if (options_.until_idle) {
      if (idle()) break;
    } else if (options_.on_idle && idle()) {
      // The flag first, then the look at the workers and the table (see
      // Shared::idle_hook): a node another scheduler created meanwhile
      // waits for the hook.
      shared.idle_hook = true;
      try {
        if (shared.busy == 0 && nodes.pending(kRunnable) == 0) options_.on_idle(stop);
      } catch (...) {
        shared.idle_hook = false;
        std::lock_guard lock(shared.mutex);
        if (!shared.error) shared.error = std::current_exception();
        break;
      }
      shared.idle_hook = false;
      shared.wake.notify_all();
      if (shared.done || (stop && *stop)) break;
    }
    std::unique_lock lock(shared.mutex);
    shared.wake.wait_for(lock, options_.poll);
  }
  shared.done = true;
  shared.analysis_done = true;
  shared.wake.notify_all();
  if (listener) listener->interrupt();
  for (auto& t : threads) t.join();
  threads.clear();
  if (shared.error) std::rethrow_exception(shared.error);

  summary.executed = shared.executed;
  summary.retried = shared.retried;
  summary.loaded = shared.loaded;
  summary.load_errors = shared.load_errors;
  summary.analysed = shared.analysed;
  summary.counts = nodes.counts();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace kci::orchestrator
